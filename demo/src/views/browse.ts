// `#/shop`: the brand's catalog with facets (category, vendor, price,
// attributes, in stock), a sort, and cursor paging ("Load more").

import { ok, type Schemas } from "../api";
import { type Children, h, replace } from "../dom";
import { money } from "../format";
import { heading, problemBox } from "../layout";
import { href } from "../router";
import { categoryNames, shop, vendorName } from "../state";
import type { Ctx } from "../view";
import { productCard } from "./cards";

const PAGE = 6;
const SORTS: Record<Schemas["BrowseSort"], string> = {
  newest: "Newest",
  price_asc: "Price: low to high",
  price_desc: "Price: high to low",
  title: "Name",
};

interface Filters {
  category?: string;
  vendor?: string;
  attr: string[];
  inStock: boolean;
  min?: string;
  max?: string;
  sort: Schemas["BrowseSort"];
}

function filtersOf(q: URLSearchParams): Filters {
  const sort = q.get("sort");
  return {
    category: q.get("category") ?? undefined,
    vendor: q.get("vendor") ?? undefined,
    attr: q.getAll("attr"),
    inStock: q.get("in_stock") === "true",
    min: q.get("min") ?? undefined,
    max: q.get("max") ?? undefined,
    sort: sort && sort in SORTS ? (sort as Schemas["BrowseSort"]) : "newest",
  };
}

/** The link to the page with one filter changed (`undefined` clears it). */
function linkWith(q: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(q);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) next.delete(name);
    else next.set(name, value);
  }
  return href("/shop", next);
}

function toggleAttr(q: URLSearchParams, pair: string): string {
  const next = new URLSearchParams(q);
  const all = next.getAll("attr");
  next.delete("attr");
  for (const a of all.includes(pair) ? all.filter((x) => x !== pair) : [...all, pair]) next.append("attr", a);
  return href("/shop", next);
}

/**
 * Attribute names worth filtering by, with their values: collected from the
 * whole catalog, since the API has no attribute facet. A name qualifies when
 * it has a few values that products share.
 */
function attributeChoices(hits: Schemas["SearchHit"][]): Map<string, string[]> {
  const seen = new Map<string, Map<string, number>>();
  for (const { product } of hits) {
    for (const [name, value] of Object.entries(product.attributes)) {
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") continue;
      const values = seen.get(name) ?? new Map<string, number>();
      values.set(String(value), (values.get(String(value)) ?? 0) + 1);
      seen.set(name, values);
    }
  }
  const out = new Map<string, string[]>();
  for (const [name, values] of [...seen].sort(([a], [b]) => a.localeCompare(b))) {
    if (values.size > 1 && values.size <= 6 && [...values.values()].some((n) => n > 1)) {
      out.set(name, [...values.keys()].sort());
    }
  }
  return out;
}

export async function browse(ctx: Ctx): Promise<void> {
  const q = ctx.route.query;
  const f = filtersOf(q);
  const api = shop();
  const filterQuery = {
    category: f.category,
    attr: f.attr,
    in_stock: f.inStock || undefined,
    min_price: f.min,
    max_price: f.max,
  };
  const [tree, facets, catalog, first] = await Promise.all([
    categoryNames(),
    ok(
      api.GET("/v1/storefront/search", {
        params: { query: { ...filterQuery, vendor_id: f.vendor ? [f.vendor] : [], limit: 1 } },
      }),
    ),
    ok(api.GET("/v1/storefront/search", { params: { query: { limit: 100 } } })),
    ok(
      api.GET("/v1/storefront/products", {
        params: { query: { ...filterQuery, vendor_id: f.vendor, sort: f.sort, limit: PAGE } },
      }),
    ),
  ]);
  const categoryName = (path: string): string => tree.get(path) ?? path.split("/").pop() ?? path;

  const grid = h("ul", { class: "grid", id: "products" });
  const more = h("div", { class: "more" });
  let shown = 0;
  const addPage = (page: Schemas["ProductCardPage"]): void => {
    for (const card of page.items) grid.append(productCard(card));
    shown += page.items.length;
    const cursor = page.next_cursor;
    replace(
      more,
      h("span", { class: "muted" }, `${shown} of ${facets.total} products`),
      cursor
        ? h(
            "button",
            {
              class: "secondary",
              id: "load-more",
              onclick: async (e: Event) => {
                const button = e.currentTarget as HTMLButtonElement;
                button.disabled = true;
                try {
                  addPage(
                    await ok(
                      api.GET("/v1/storefront/products", {
                        params: { query: { ...filterQuery, vendor_id: f.vendor, sort: f.sort, limit: PAGE, cursor } },
                      }),
                    ),
                  );
                } catch (error) {
                  more.append(problemBox(error));
                  button.disabled = false;
                }
              },
            },
            "Load more",
          )
        : null,
    );
  };
  addPage(first);

  // Facets.
  const crumbs: Children[] = [h("a", { href: linkWith(q, { category: undefined }) }, "All")];
  if (f.category) {
    const parts = f.category.split("/");
    parts.forEach((_, i) => {
      const path = parts.slice(0, i + 1).join("/");
      crumbs.push(" › ", h("a", { href: linkWith(q, { category: path }) }, categoryName(path)));
    });
  }
  const facetList = (items: { label: string; count: number; to: string; active: boolean }[]): HTMLElement =>
    h(
      "ul",
      { class: "facet" },
      items.map((i) =>
        h(
          "li",
          {},
          h("a", { href: i.to, class: i.active ? "active" : "" }, i.label, " ", h("span", { class: "n" }, i.count)),
        ),
      ),
    );
  const attributes = attributeChoices(catalog.items);
  // Price buckets are in the brand's currency, which the cards carry.
  const currency = first.items[0]?.currency ?? catalog.items[0]?.product.currency ?? "USD";
  const side = h(
    "aside",
    { class: "facets" },
    h("h2", {}, "Category"),
    h("p", { class: "crumbs" }, crumbs),
    facetList(
      facets.facets.categories.map((c) => ({
        label: categoryName(c.path),
        count: c.count,
        to: linkWith(q, { category: c.path }),
        active: false,
      })),
    ),
    h("h2", {}, "Vendor"),
    facetList(
      facets.facets.vendors.map((v) => ({
        label: vendorName(v.vendor_id),
        count: v.count,
        to: linkWith(q, { vendor: f.vendor === v.vendor_id ? undefined : v.vendor_id }),
        active: f.vendor === v.vendor_id,
      })),
    ),
    h("h2", {}, "Price"),
    facetList(
      facets.facets.price_buckets
        .filter((b) => b.count > 0)
        .map((b) => {
          const active = f.min === b.from && f.max === (b.to ?? undefined);
          return {
            label: b.to ? `${money(b.from, currency)} – ${money(b.to, currency)}` : `${money(b.from, currency)} and up`,
            count: b.count,
            to: active ? linkWith(q, { min: undefined, max: undefined }) : linkWith(q, { min: b.from, max: b.to ?? undefined }),
            active,
          };
        }),
    ),
    [...attributes].map(([name, values]) => [
      h("h2", {}, name),
      h(
        "div",
        { class: "chips" },
        values.map((value) => {
          const pair = `${name}:${value}`;
          return h("a", { href: toggleAttr(q, pair), class: f.attr.includes(pair) ? "chip active" : "chip" }, value);
        }),
      ),
    ]),
    h("h2", {}, "Availability"),
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        id: "in-stock",
        checked: f.inStock,
        onchange: () => {
          location.hash = linkWith(q, { in_stock: f.inStock ? undefined : "true" });
        },
      }),
      " In stock only",
    ),
  );

  const sort = h(
    "select",
    {
      id: "sort",
      "aria-label": "Sort",
      onchange: (e: Event) => {
        location.hash = linkWith(q, { sort: (e.currentTarget as HTMLSelectElement).value });
      },
    },
    Object.entries(SORTS).map(([value, label]) => h("option", { value, selected: value === f.sort }, label)),
  );
  const active = [
    f.vendor ? h("a", { class: "chip active", href: linkWith(q, { vendor: undefined }) }, vendorName(f.vendor), " ×") : null,
    ...f.attr.map((a) => h("a", { class: "chip active", href: toggleAttr(q, a) }, a.replace(":", ": "), " ×")),
  ];

  ctx.show(
    heading(f.category ? categoryName(f.category) : "All products"),
    h(
      "div",
      { class: "catalog" },
      side,
      h(
        "section",
        {},
        h("div", { class: "toolbar" }, h("div", { class: "chips" }, active), sort),
        first.items.length ? grid : h("p", { class: "empty" }, "Nothing matches these filters."),
        more,
      ),
    ),
  );
}
