// Seeds a demo tenant into a running Bazaar through the typed client, for
// the dev server (demo/dev-server.mjs) while the binary cannot do it
// itself: Greenleaf Delivery (US-CA, US-CO) with the Greenleaf Los Angeles
// storefront, two dispensaries with a warehouse, stock and a shipping rate
// each, three categories and twelve listed products. Returns what
// `GET /demo/config.json` serves.

import createClient, { type Client } from "openapi-fetch";

import type { paths } from "../.build/api";
import type { DemoConfig } from "../src/config";

type Api = Client<paths>;

interface SeedProduct {
  vendor: "sunset" | "golden";
  slug: string;
  title: string;
  description: string;
  category: string;
  attributes: Record<string, string>;
  taxCategory: string;
  variants: { sku: string; title: string; price: string; grams?: string }[];
  stock: number;
}

const PRODUCTS: SeedProduct[] = [
  {
    vendor: "sunset",
    slug: "blue-dream",
    title: "Blue Dream Flower",
    description: "A balanced sativa-leaning hybrid with sweet berry notes; cured for six weeks.",
    category: "flower",
    attributes: { strain: "hybrid", thc: "21%" },
    taxCategory: "cannabis_flower",
    variants: [
      { sku: "BD-35", title: "3.5 g", price: "38.00", grams: "3.5" },
      { sku: "BD-7", title: "7 g", price: "70.00", grams: "7" },
    ],
    stock: 40,
  },
  {
    vendor: "sunset",
    slug: "og-kush",
    title: "OG Kush Flower",
    description: "The classic indica: pine, lemon and an earthy finish.",
    category: "flower",
    attributes: { strain: "indica", thc: "24%" },
    taxCategory: "cannabis_flower",
    variants: [{ sku: "OG-35", title: "3.5 g", price: "42.00", grams: "3.5" }],
    stock: 25,
  },
  {
    vendor: "sunset",
    slug: "sour-diesel",
    title: "Sour Diesel Flower",
    description: "Energising sativa with a pungent, fuel-like aroma.",
    category: "flower",
    attributes: { strain: "sativa", thc: "20%" },
    taxCategory: "cannabis_flower",
    variants: [{ sku: "SD-35", title: "3.5 g", price: "40.00", grams: "3.5" }],
    stock: 25,
  },
  {
    vendor: "sunset",
    slug: "sunset-sherbet-prerolls",
    title: "Sunset Sherbet Pre-Roll 5-Pack",
    description: "Five half-gram pre-rolls of our house hybrid, rolled in unbleached paper.",
    category: "pre-rolls",
    attributes: { strain: "hybrid", thc: "19%" },
    taxCategory: "cannabis_flower",
    variants: [{ sku: "SS-PR5", title: "5 x 0.5 g", price: "30.00", grams: "2.5" }],
    stock: 30,
  },
  {
    vendor: "sunset",
    slug: "midnight-berry-gummies",
    title: "Midnight Berry Gummies",
    description: "Ten 10 mg gummies with a wild berry flavour, made for winding down.",
    category: "edibles",
    attributes: { strain: "indica" },
    taxCategory: "cannabis_edible",
    variants: [{ sku: "MB-G10", title: "10 pieces", price: "26.00" }],
    stock: 50,
  },
  {
    vendor: "sunset",
    slug: "citrus-mint-gummies",
    title: "Citrus Mint Gummies",
    description: "Bright citrus and cool mint, 5 mg each: a gentle daytime dose.",
    category: "edibles",
    attributes: { strain: "sativa" },
    taxCategory: "cannabis_edible",
    variants: [{ sku: "CM-G20", title: "20 pieces", price: "24.00" }],
    stock: 50,
  },
  {
    vendor: "sunset",
    slug: "ceramic-grinder",
    title: "Ceramic Herb Grinder",
    description: "A four-piece grinder with ceramic teeth and a pollen catcher.",
    category: "accessories",
    attributes: { material: "ceramic" },
    taxCategory: "general",
    variants: [{ sku: "ACC-GR", title: "Grinder", price: "28.00" }],
    stock: 15,
  },
  {
    vendor: "sunset",
    slug: "hemp-rolling-papers",
    title: "Hemp Rolling Papers",
    description: "Slow-burning unbleached hemp papers, 50 leaves per booklet.",
    category: "accessories",
    attributes: { material: "hemp" },
    taxCategory: "general",
    variants: [{ sku: "ACC-PAP", title: "Booklet", price: "4.50" }],
    stock: 100,
  },
  {
    vendor: "golden",
    slug: "gelato",
    title: "Gelato Flower",
    description: "Dessert-sweet hybrid from a small Humboldt farm.",
    category: "flower",
    attributes: { strain: "hybrid", thc: "23%" },
    taxCategory: "cannabis_flower",
    variants: [{ sku: "GE-35", title: "3.5 g", price: "45.00", grams: "3.5" }],
    stock: 20,
  },
  {
    vendor: "golden",
    slug: "granddaddy-purple-preroll",
    title: "Granddaddy Purple Pre-Roll",
    description: "One full-gram indica pre-roll with grape and berry notes.",
    category: "pre-rolls",
    attributes: { strain: "indica", thc: "18%" },
    taxCategory: "cannabis_flower",
    variants: [{ sku: "GDP-PR1", title: "1 g", price: "12.00", grams: "1" }],
    stock: 60,
  },
  {
    vendor: "golden",
    slug: "dark-chocolate-bar",
    title: "Dark Chocolate Bar",
    description: "72% dark chocolate in ten 10 mg squares.",
    category: "edibles",
    attributes: { strain: "hybrid" },
    taxCategory: "cannabis_edible",
    variants: [{ sku: "DC-100", title: "100 mg", price: "28.00" }],
    stock: 30,
  },
  {
    vendor: "golden",
    slug: "glass-hand-pipe",
    title: "Glass Hand Pipe",
    description: "Hand-blown borosilicate spoon pipe; each one is unique.",
    category: "accessories",
    attributes: { material: "glass" },
    taxCategory: "general",
    variants: [{ sku: "ACC-PIPE", title: "Pipe", price: "35.00" }],
    stock: 0,
  },
];

/** The body of a success, or an error naming the call and the problem. */
async function ok<T>(what: string, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (data === undefined) {
    throw new Error(`seed: ${what} answered ${response.status}: ${JSON.stringify(error)}`);
  }
  return data;
}

function client(baseUrl: string, key: string): Api {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
}

/** Seeds the demo tenant through the API at `baseUrl` (the server's origin). */
export async function seed(baseUrl: string, platformKey: string): Promise<DemoConfig> {
  const platform = client(baseUrl, platformKey);
  const tenant = await ok(
    "create tenant",
    platform.POST("/v1/platform/tenants", {
      body: { slug: "greenleaf", name: "Greenleaf Delivery", regions: ["US-CA", "US-CO"] },
    }),
  );
  const adminKey = await ok(
    "create the admin key",
    platform.POST("/v1/platform/tenants/{tenant_id}/keys", {
      params: { path: { tenant_id: tenant.id } },
      body: { name: "demo admin", scope: "tenant_admin" },
    }),
  );
  const admin = client(baseUrl, adminKey.secret);

  const brand = await ok(
    "create brand",
    admin.POST("/v1/brands", {
      body: { slug: "greenleaf-la", name: "Greenleaf Los Angeles", currency: "USD", default_region: "US-CA" },
    }),
  );

  const vendors = {
    sunset: await ok(
      "create vendor",
      admin.POST("/v1/vendors", {
        body: {
          slug: "sunset-dispensary",
          name: "Sunset Dispensary",
          contact_email: "orders@sunset-dispensary.example",
          regions_served: ["US-CA"],
        },
      }),
    ),
    golden: await ok(
      "create vendor",
      admin.POST("/v1/vendors", {
        body: {
          slug: "golden-gate-greens",
          name: "Golden Gate Greens",
          contact_email: "ops@goldengategreens.example",
          regions_served: ["US-CA"],
        },
      }),
    ),
  };

  const flower = await ok("create category", admin.POST("/v1/categories", { body: { slug: "flower", name: "Flower" } }));
  const categories: Record<string, string> = {
    flower: flower.id,
    "pre-rolls": (
      await ok(
        "create category",
        admin.POST("/v1/categories", { body: { slug: "pre-rolls", name: "Pre-rolls", parent_id: flower.id } }),
      )
    ).id,
    edibles: (await ok("create category", admin.POST("/v1/categories", { body: { slug: "edibles", name: "Edibles" } })))
      .id,
    accessories: (
      await ok("create category", admin.POST("/v1/categories", { body: { slug: "accessories", name: "Accessories" } }))
    ).id,
  };

  const warehouses: Record<string, string> = {};
  for (const [name, vendor] of Object.entries(vendors)) {
    const w = await ok(
      "create warehouse",
      admin.POST("/v1/warehouses", {
        body: { vendor_id: vendor.id, code: "LA-1", name: `${vendor.name} Los Angeles`, region: "US-CA" },
      }),
    );
    warehouses[name] = w.id;
    await ok(
      "set shipping rate",
      admin.PUT("/v1/shipping-rates/{region}/{currency}", {
        params: { path: { region: "US-CA", currency: "USD" } },
        body: { vendor_id: vendor.id, flat: "5.00", free_over: "100.00" },
      }),
    );
  }

  for (const p of PRODUCTS) {
    const vendor = vendors[p.vendor];
    const made = await ok(
      `create product ${p.slug}`,
      admin.POST("/v1/products", {
        body: {
          vendor_id: vendor.id,
          category_id: categories[p.category],
          slug: p.slug,
          title: p.title,
          description: p.description,
          attributes: p.attributes,
          status: "active",
          variants: p.variants.map((v) => ({
            sku: v.sku,
            title: v.title,
            price: v.price,
            currency: "USD",
            tax_category: p.taxCategory,
            weight_grams: v.grams,
          })),
        },
      }),
    );
    await ok("list product", admin.POST("/v1/listings", { body: { brand_id: brand.id, product_id: made.id } }));
    if (p.stock > 0) {
      for (const v of made.variants) {
        await ok(
          "receive stock",
          admin.POST("/v1/inventory/movements", {
            body: { variant_id: v.id, warehouse_id: warehouses[p.vendor] ?? "", kind: "receive", quantity: p.stock },
          }),
        );
      }
    }
  }

  const storefrontKey = await ok(
    "create storefront key",
    admin.POST("/v1/keys", { body: { name: "demo storefront", scope: "storefront", brand_id: brand.id } }),
  );
  const vendorKeys = [];
  for (const vendor of Object.values(vendors)) {
    const key = await ok(
      "create vendor key",
      admin.POST("/v1/keys", { body: { name: "demo back office", scope: "vendor", vendor_id: vendor.id } }),
    );
    vendorKeys.push({ vendor_id: vendor.id, name: vendor.name, key: key.secret });
  }
  const checker = await ok(
    "create age-check key",
    admin.POST("/v1/keys", { body: { name: "demo age checks", scope: "tenant_admin" } }),
  );

  return {
    tenant: tenant.name,
    storefronts: [
      { brand_id: brand.id, name: brand.name, region: "US-CA", publishable_key: storefrontKey.secret },
    ],
    vendors: vendorKeys,
    age_checker: { name: "Sandbox ID check", key: checker.secret },
  };
}
