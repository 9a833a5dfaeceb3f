// What the demo remembers: the loaded config, the chosen storefront and,
// per storefront in sessionStorage, the cart, the shopper's session and the
// orders placed (a guest reads an order back with its cart's token).

import { type Api, client, ok, type Schemas } from "./api";
import type { DemoConfig, DemoStorefront, DemoVendor } from "./config";

export interface CartRef {
  id: string;
  /** A guest cart's `X-Cart-Token`; a signed-in shopper's cart opens with the session. */
  token?: string;
}

export interface Session {
  token: string;
  customerId: string;
  email: string;
}

export interface PlacedOrder {
  id: string;
  cartToken?: string;
}

let config: DemoConfig | null = null;
const clients = new Map<string, Api>();
/** Product cards seen while browsing, by slug (the product page's availability). */
export const cards = new Map<string, Schemas["ProductCard"]>();

export async function loadConfig(): Promise<DemoConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  config = (await response.json()) as DemoConfig;
  return config;
}

export function demo(): DemoConfig {
  if (!config) throw new Error("the demo's config is not loaded");
  return config;
}

/** The API client for a key, made once. */
export function apiFor(key: string): Api {
  let api = clients.get(key);
  if (!api) {
    api = client(key);
    clients.set(key, api);
  }
  return api;
}

function read<T>(name: string): T | null {
  const raw = sessionStorage.getItem(name);
  return raw === null ? null : (JSON.parse(raw) as T);
}

function write(name: string, value: unknown): void {
  if (value === null || value === undefined) sessionStorage.removeItem(name);
  else sessionStorage.setItem(name, JSON.stringify(value));
}

export function storefront(): DemoStorefront | null {
  const id = read<string>("bazaar.brand");
  return demo().storefronts.find((s) => s.brand_id === id) ?? null;
}

export function chooseStorefront(brandId: string): void {
  write("bazaar.brand", brandId);
}

/** The chosen storefront's API client (the publishable key). */
export function shop(): Api {
  const s = storefront();
  if (!s) throw new Error("no storefront chosen");
  return apiFor(s.publishable_key);
}

const scoped = (what: string): string => `bazaar.${what}.${storefront()?.brand_id ?? "none"}`;

export const cart = {
  get: (): CartRef | null => read<CartRef>(scoped("cart")),
  set: (value: CartRef | null): void => write(scoped("cart"), value),
};

export const session = {
  get: (): Session | null => read<Session>(scoped("session")),
  set: (value: Session | null): void => write(scoped("session"), value),
};

export const orders = {
  all: (): PlacedOrder[] => read<PlacedOrder[]>(scoped("orders")) ?? [],
  add: (order: PlacedOrder): void => write(scoped("orders"), [order, ...orders.all()]),
  find: (id: string): PlacedOrder | undefined => orders.all().find((o) => o.id === id),
};

/** The header parameters that open a cart: the shopper's session, or the guest token. */
export function cartHeaders(ref: CartRef): { "X-Cart-Token"?: string; "X-Customer-Token"?: string } {
  const s = session.get();
  if (s) return { "X-Customer-Token": s.token };
  return ref.token ? { "X-Cart-Token": ref.token } : {};
}

let categoryTree: Promise<Map<string, string>> | null = null;

/** Category names by path, read once. */
export function categoryNames(): Promise<Map<string, string>> {
  categoryTree ??= ok(shop().GET("/v1/categories")).then((t) => new Map(t.items.map((c) => [c.path, c.name])));
  categoryTree.catch(() => {
    categoryTree = null;
  });
  return categoryTree;
}

const regions = new Map<string, Promise<Schemas["RegionRules"]>>();

/** A region's rules (which categories need a verified age, from what age), read once. */
export function regionRules(code: string): Promise<Schemas["RegionRules"]> {
  let rules = regions.get(code);
  if (!rules) {
    rules = ok(shop().GET("/v1/regions/{code}", { params: { path: { code } } }));
    rules.catch(() => regions.delete(code));
    regions.set(code, rules);
  }
  return rules;
}

export function vendorName(id: string): string {
  return demo().vendors.find((v) => v.vendor_id === id)?.name ?? `Vendor ${id.slice(0, 8)}`;
}

export function backOffice(): DemoVendor | null {
  const vendors = demo().vendors;
  const id = read<string>("bazaar.vendor");
  return vendors.find((v) => v.vendor_id === id) ?? vendors[0] ?? null;
}

export function chooseVendor(id: string): void {
  write("bazaar.vendor", id);
}
