// A storefront and back-office flow through the TypeScript client that
// scripts/clients generates (openapi-typescript types + openapi-fetch): a
// platform operator makes a tenant, the tenant a brand and a vendor, the
// vendor a catalog, and a shopper buys from it and sees it shipped. Only
// generated-client calls; keys and session headers go through the client's
// own header options. flow.py walks the same steps through the Python
// client. Usage: tsx flow.ts <base URL> <platform key>; exits non-zero on
// the first failed step.

import createClient from "openapi-fetch";
import type { components, paths } from "bazaar-client";
import { randomUUID } from "node:crypto";

type Schemas = components["schemas"];
type Api = ReturnType<typeof createClient<paths>>;

class FlowError extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new FlowError(message);
}

function equal<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** The body of a call that must answer `status`, or a failure naming the call
 *  and showing the problem document the server sent. */
function want<D>(
  what: string,
  status: number,
  result: { data?: D; error?: unknown; response: Response },
): D {
  const got = result.response.status;
  if (got !== status || result.data === undefined) {
    throw new FlowError(
      `${what}: expected ${status}, got ${got}: ${JSON.stringify(result.error ?? result.data)}`,
    );
  }
  return result.data;
}

/** An amount in minor units from a decimal string such as "7.18". */
function cents(amount: string): number {
  check(/^-?\d+\.\d{2}$/.test(amount), `"${amount}" is not an amount with two decimals`);
  return Math.round(Number(amount) * 100);
}

function client(base: string, key: string): Api {
  return createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${key}` } });
}

async function flow(base: string, platformKey: string): Promise<void> {
  const run = randomUUID().replaceAll("-", "").slice(0, 10);
  const step = (name: string) => console.log(`ts flow: ${name}`);

  // Platform: a tenant and its first admin key.
  step("tenant and admin key");
  const platform = client(base, platformKey);
  const tenant = want(
    "create_tenant",
    201,
    await platform.POST("/v1/platform/tenants", {
      body: { slug: `ts${run}`, name: `TS flow ${run}`, regions: ["US-CA"] },
    }),
  );
  equal(tenant.slug, `ts${run}`, "tenant slug");
  equal(tenant.status, "active", "new tenant status");
  equal(tenant.regions, ["US-CA"], "tenant regions");
  const adminKey = want(
    "create_tenant_key",
    201,
    await platform.POST("/v1/platform/tenants/{tenant_id}/keys", {
      params: { path: { tenant_id: tenant.id } },
      body: { name: "admin", scope: "tenant_admin" },
    }),
  );
  equal(adminKey.key.scope, "tenant_admin", "admin key scope");
  equal(adminKey.key.tenant_id, tenant.id, "admin key tenant");
  const admin = client(base, adminKey.secret);

  // The tenant admin: a brand and its storefront (publishable) key.
  step("brand and storefront key");
  const brand = want(
    "create_brand",
    201,
    await admin.POST("/v1/brands", {
      body: { slug: "web", name: "Web shop", currency: "USD", default_region: "US-CA" },
    }),
  );
  equal([brand.currency, brand.default_region], ["USD", "US-CA"], "brand currency and region");
  const storefrontKey = want(
    "create_key",
    201,
    await admin.POST("/v1/keys", {
      body: { name: "web", scope: "storefront", brand_id: brand.id },
    }),
  );
  equal(storefrontKey.key.brand_id, brand.id, "storefront key brand");
  const storefront = client(base, storefrontKey.secret);
  const who = want("whoami", 200, await storefront.GET("/v1/whoami"));
  equal([who.scope, who.brand_id, who.tenant_id], ["storefront", brand.id, tenant.id], "whoami");

  // Vendor onboarding: the vendor applies, the tenant approves, which
  // issues the vendor's own key.
  step("vendor onboarding");
  const applied = want(
    "apply_vendor",
    201,
    await admin.POST("/v1/vendors/apply", {
      body: { slug: "greenhouse", name: "Greenhouse", contact_email: "sales@greenhouse.example" },
    }),
  );
  equal(applied.status, "pending", "applied vendor status");
  const approval = want(
    "approve_vendor",
    200,
    await admin.POST("/v1/vendors/{vendor_id}/approve", {
      params: { path: { vendor_id: applied.id } },
      body: {},
    }),
  );
  equal(approval.vendor.status, "approved", "approved vendor status");
  equal([approval.key.key.scope, approval.key.key.vendor_id], ["vendor", applied.id], "vendor key");
  const vendorId = applied.id;
  const vendor = client(base, approval.key.secret);

  // The vendor's catalog: a warehouse, products with variants, stock, the
  // listings in the brand and a shipping rate.
  step("warehouse, products, stock, listings, shipping rate");
  const warehouse = want(
    "create_warehouse",
    201,
    await vendor.POST("/v1/warehouses", {
      body: { code: "LA-1", name: "Los Angeles", region: "US-CA" },
    }),
  );
  equal(warehouse.vendor_id, vendorId, "warehouse vendor");
  const inputs: Schemas["CreateProduct"][] = [
    {
      slug: "cotton-tee",
      title: "Organic Cotton Tee",
      description: "A soft tee of organic cotton.",
      status: "active",
      attributes: { colour: "green" },
      variants: [
        { sku: "TEE-S", title: "Small", price: "30.00", currency: "USD", options: { size: "S" } },
        { sku: "TEE-M", title: "Medium", price: "32.00", currency: "USD", options: { size: "M" } },
      ],
    },
    {
      slug: "sativa-flower",
      title: "Sativa Flower",
      description: "Sun-grown flower.",
      status: "active",
      attributes: { colour: "green" },
      variants: [
        {
          sku: "FLW-3.5",
          title: "3.5 g",
          price: "35.00",
          currency: "USD",
          tax_category: "cannabis_flower",
          weight_grams: "3.5",
        },
        {
          sku: "FLW-7",
          title: "7 g",
          price: "65.00",
          currency: "USD",
          tax_category: "cannabis_flower",
          weight_grams: "7",
        },
      ],
    },
    {
      slug: "clay-mug",
      title: "Clay Mug",
      description: "A mug thrown by hand.",
      status: "active",
      attributes: { colour: "blue" },
      variants: [{ sku: "MUG", price: "12.00", currency: "USD" }],
    },
  ];
  const products: Record<string, Schemas["Product"]> = {};
  for (const input of inputs) {
    const product = want(
      `create_product ${input.slug}`,
      201,
      await vendor.POST("/v1/products", { body: input }),
    );
    equal(product.vendor_id, vendorId, `${input.slug} vendor`);
    equal(
      product.variants.map((v) => [v.sku, v.price]),
      input.variants.map((v) => [v.sku, v.price]),
      `${input.slug} variants`,
    );
    products[input.slug] = product;
    for (const variant of product.variants) {
      const level = want(
        `record_stock_change ${variant.sku}`,
        201,
        await vendor.POST("/v1/inventory/movements", {
          body: { variant_id: variant.id, warehouse_id: warehouse.id, kind: "receive", quantity: 20 },
        }),
      );
      equal([level.on_hand, level.available], [20, 20], `${variant.sku} stock`);
    }
    const listing = want(
      `create_listing ${input.slug}`,
      201,
      await vendor.POST("/v1/listings", { body: { brand_id: brand.id, product_id: product.id } }),
    );
    equal([listing.brand_id, listing.vendor_id], [brand.id, vendorId], `${input.slug} listing`);
    equal(listing.price, input.variants[0]?.price, `${input.slug} listing price`);
  }
  const tee = products["cotton-tee"];
  const flower = products["sativa-flower"];
  const mug = products["clay-mug"];
  check(tee !== undefined && flower !== undefined && mug !== undefined, "all products made");
  const teeM = tee.variants[1];
  const flower35 = flower.variants[0];
  check(teeM !== undefined && flower35 !== undefined, "the variants bought");
  const rate = want(
    "set_shipping_rate",
    200,
    await vendor.PUT("/v1/shipping-rates/{region}/{currency}", {
      params: { path: { region: "US-CA", currency: "USD" } },
      body: { flat: "4.00", per_item: "0.50" },
    }),
  );
  equal([rate.vendor_id, rate.flat, rate.per_item], [vendorId, "4.00", "0.50"], "shipping rate");

  // The storefront: everything listed, then green things one per page,
  // following the cursor.
  step("browse with a filter and the cursor");
  const everything = want("browse_products", 200, await storefront.GET("/v1/storefront/products"));
  equal(everything.items.map((card) => card.slug).sort(), ["clay-mug", "cotton-tee", "sativa-flower"], "everything listed");
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const result = want(
      "browse_products",
      200,
      await storefront.GET("/v1/storefront/products", {
        params: { query: { attr: ["colour:green"], in_stock: true, sort: "title", limit: 1, cursor } },
      }),
    );
    check(result.items.length <= 1, `a page of limit 1 has ${result.items.length} items`);
    seen.push(...result.items.map((card) => card.slug));
    for (const card of result.items) {
      equal([card.currency, card.in_stock], ["USD", true], `${card.slug} card`);
    }
    if (result.next_cursor == null) break;
    cursor = result.next_cursor;
  }
  equal(seen, ["cotton-tee", "sativa-flower"], "green products by title across pages");

  // Search: the index follows the catalog within seconds.
  step("search");
  let hits: Schemas["SearchPage"] | undefined;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    hits = want(
      "search_products",
      200,
      await storefront.GET("/v1/storefront/search", { params: { query: { q: "cotton" } } }),
    );
    if (hits.total > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  check(hits !== undefined && hits.total === 1, `search "cotton" found ${hits?.total ?? 0} products, expected 1`);
  equal(hits.items[0]?.product.slug, "cotton-tee", "search hit");
  check(hits.items[0]?.title_snippet.includes("<b>Cotton</b>") ?? false, "the title snippet marks the match");

  // The product page.
  step("product page");
  const page = want(
    "storefront_product",
    200,
    await storefront.GET("/v1/storefront/products/{id_or_slug}", {
      params: { path: { id_or_slug: "cotton-tee" } },
    }),
  );
  equal([page.id, page.vendor_id, page.price], [tee.id, vendorId, "30.00"], "product page");
  equal(page.variants.map((v) => v.sku), ["TEE-S", "TEE-M"], "product page variants");

  // A guest cart, priced by the brand's region.
  step("cart priced by the region");
  const email = `shopper-${run}@example.com`;
  const created = want(
    "create_cart",
    201,
    await storefront.POST("/v1/carts", { body: { contact_email: email } }),
  );
  const cartId = created.cart.id;
  const cartToken = created.token;
  check(typeof cartToken === "string" && cartToken.length > 0, "a guest cart has a token");
  equal([created.cart.region, created.cart.currency], ["US-CA", "USD"], "cart region and currency");
  const asGuest = { header: { "X-Cart-Token": cartToken }, path: { cart_id: cartId } };
  want(
    "add_cart_line tee",
    200,
    await storefront.POST("/v1/carts/{cart_id}/lines", {
      params: asGuest,
      body: { variant_id: teeM.id, quantity: 2 },
    }),
  );
  const priced = want(
    "add_cart_line flower",
    200,
    await storefront.POST("/v1/carts/{cart_id}/lines", {
      params: asGuest,
      body: { variant_id: flower35.id, quantity: 1 },
    }),
  );
  equal(priced.lines.map((l) => [l.sku, l.quantity]), [["TEE-M", 2], ["FLW-3.5", 1]], "cart lines");
  const totals = priced.totals;
  // 2 x 32.00 + 35.00; 4.00 + 3 x 0.50 shipping (untaxed in California);
  // 7.25% sales tax on both lines, 15% cannabis excise on the flower.
  equal([totals.subtotal, totals.shipping_total], ["99.00", "5.50"], "cart subtotal and shipping");
  check(cents(totals.tax_total) > 0, `a US-CA cart is taxed, got tax ${totals.tax_total}`);
  equal([totals.tax_total, totals.excise_total], ["7.18", "5.25"], "cart tax and excise");
  equal(
    cents(totals.total),
    cents(totals.subtotal) + cents(totals.shipping_total) + cents(totals.tax_total) + cents(totals.excise_total),
    "gross is net + shipping + tax + excise",
  );
  equal(priced.age_verification_required, true, "flower needs a verified age in US-CA");

  // The shopper signs up, then signs in bringing the guest cart along.
  step("register and login");
  const password = "correct horse battery";
  const registered = want(
    "register_customer",
    201,
    await storefront.POST("/v1/customers", { body: { email, password, name: "Sam Shopper" } }),
  );
  equal(registered.customer.email, email, "registered email");
  const login = want(
    "login_customer",
    200,
    await storefront.POST("/v1/customers/login", {
      body: { email, password, cart: { cart_id: cartId, token: cartToken } },
    }),
  );
  equal([login.customer.id, login.cart_id], [registered.customer.id, cartId], "login keeps the cart");
  const session = { "X-Customer-Token": login.token };
  const mine = want(
    "get_cart",
    200,
    await storefront.GET("/v1/carts/{cart_id}", {
      params: { header: session, path: { cart_id: cartId } },
    }),
  );
  equal(mine.totals.total, totals.total, "the signed-in shopper's cart");

  // Flower in California: the shop verifies the shopper's age.
  step("age verification");
  const before = want("get_me", 200, await storefront.GET("/v1/customers/me", { params: { header: session } }));
  check(before.age_verification == null, "not verified yet");
  const verified = want(
    "verify_customer_age",
    201,
    await admin.POST("/v1/customers/{customer_id}/age-verification", {
      params: { path: { customer_id: login.customer.id } },
      body: { date_of_birth: "1980-04-01", method: "id_document", reference: "DL-1234" },
    }),
  );
  equal([verified.date_of_birth, verified.method], ["1980-04-01", "id_document"], "age verification");
  const me = want("get_me", 200, await storefront.GET("/v1/customers/me", { params: { header: session } }));
  equal([me.date_of_birth, me.age_verification?.method], ["1980-04-01", "id_document"], "me, verified");

  // Checkout, then the same request again: the same order.
  step("checkout and replay");
  const idempotencyKey = randomUUID();
  const checkout = () =>
    storefront.POST("/v1/carts/{cart_id}/checkout", {
      params: { header: { ...session, "Idempotency-Key": idempotencyKey }, path: { cart_id: cartId } },
      body: { payment_token: "tok_success" },
    });
  const order = want("checkout_cart", 201, await checkout());
  equal([order.status, order.payment_status, order.region], ["paid", "succeeded", "US-CA"], "order");
  equal(order.total, totals.total, "order total is the cart's total");
  const replay = want("checkout_cart replay", 201, await checkout());
  equal(replay.id, order.id, "replayed checkout's order");

  step("order, lines and history");
  const fetched = want(
    "get_order",
    200,
    await storefront.GET("/v1/orders/{order_id}", {
      params: { header: session, path: { order_id: order.id } },
    }),
  );
  equal([fetched.id, fetched.total], [order.id, order.total], "order read back");
  equal(fetched.lines.length, 2, "the order's lines");
  const detail = want(
    "get_my_order",
    200,
    await storefront.GET("/v1/customers/me/orders/{order_id}", {
      params: { header: session, path: { order_id: order.id } },
    }),
  );
  equal(
    detail.lines.map((l) => [l.sku, l.quantity, l.unit_price]).sort(),
    [["FLW-3.5", 1, "35.00"], ["TEE-M", 2, "32.00"]],
    "order lines",
  );
  const history = want(
    "list_my_orders",
    200,
    await storefront.GET("/v1/customers/me/orders", { params: { header: session } }),
  );
  equal(history.items.map((o) => [o.id, o.status]), [[order.id, "paid"]], "order history");

  step("wishlist");
  const wishlist = want(
    "create_wishlist",
    201,
    await storefront.POST("/v1/customers/me/wishlists", {
      params: { header: session },
      body: { name: "Later" },
    }),
  );
  const wished = want(
    "add_to_wishlist",
    200,
    await storefront.PUT("/v1/customers/me/wishlists/{wishlist_id}/products/{product_id}", {
      params: { header: session, path: { wishlist_id: wishlist.id, product_id: mug.id } },
    }),
  );
  equal([wished.items, wished.products.map((p) => [p.product_id, p.title])], [1, [[mug.id, "Clay Mug"]]], "wishlist");

  // The vendor packs and ships its part.
  step("vendor packs and ships");
  const pending = want(
    "list_vendor_orders",
    200,
    await vendor.GET("/v1/vendor-orders", { params: { query: { status: "pending" } } }),
  );
  const part = pending.items.find((p) => p.order_id === order.id);
  check(part !== undefined, `the vendor's pending orders hold order ${order.id}`);
  equal([part.vendor_id, part.total], [vendorId, order.total], "the vendor's part is the whole order");
  const packed = want(
    "pack_vendor_order",
    200,
    await vendor.POST("/v1/vendor-orders/{vendor_order_id}/pack", {
      params: { path: { vendor_order_id: part.id } },
    }),
  );
  equal(packed.status, "packed", "packed part");
  const shipped = want(
    "ship_vendor_order",
    200,
    await vendor.POST("/v1/vendor-orders/{vendor_order_id}/ship", {
      params: { path: { vendor_order_id: part.id } },
      body: { carrier: "UPS", tracking_number: "1Z999AA10123456784" },
    }),
  );
  equal([shipped.status, shipped.carrier, shipped.tracking_number], ["shipped", "UPS", "1Z999AA10123456784"], "shipped part");

  step("the shopper sees it shipped");
  const after = want(
    "get_my_order",
    200,
    await storefront.GET("/v1/customers/me/orders/{order_id}", {
      params: { header: session, path: { order_id: order.id } },
    }),
  );
  equal(after.status, "shipped", "order status after shipping");
  const shippedOrders = want(
    "list_my_orders",
    200,
    await storefront.GET("/v1/customers/me/orders", {
      params: { header: session, query: { status: "shipped" } },
    }),
  );
  equal(shippedOrders.items.map((o) => o.id), [order.id], "shipped orders");
}

const [base, platformKey] = process.argv.slice(2);
if (base === undefined || platformKey === undefined) {
  console.error("usage: tsx flow.ts <base URL> <platform key>");
  process.exit(2);
}
flow(base, platformKey).then(
  () => console.log("ts flow: passed"),
  (error: unknown) => {
    const detail = error instanceof FlowError ? error.message : error instanceof Error ? error.stack : String(error);
    console.error(`ts flow: FAILED: ${detail}`);
    process.exit(1);
  },
);
