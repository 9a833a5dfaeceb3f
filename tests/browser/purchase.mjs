// A whole purchase in the demo storefront, in headless Chromium: pick the
// storefront, browse (a category facet, "Load more"), search as you type,
// open the product, add it to the cart, sign up, verify the age when the
// cart needs it, check out with the sandbox card (the order page says
// "paid"), then pack and ship it in the vendor's back office and see
// "shipped" on the storefront's order page. Asserts on visible text at each
// step and saves a screenshot of every page to target/screenshots/.
//
//   DEMO_URL=http://127.0.0.1:8080/demo/ node tests/browser/purchase.mjs
//
// Needs demo/node_modules (scripts/demo build) for playwright-core and
// Debian's chromium (CHROMIUM overrides /usr/bin/chromium); scripts/demo
// test installs both, starts a server and runs this.
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { chromium } = createRequire(join(repo, "demo", "package.json"))("playwright-core");

const base = process.env.DEMO_URL;
if (!base) {
  console.error("purchase: set DEMO_URL to the demo's address, e.g. http://127.0.0.1:8080/demo/");
  process.exit(2);
}
const shots = join(repo, "target", "screenshots");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

const config = await (await fetch(new URL("config.json", base))).json();
const started = performance.now();
let stepStarted = started;
let shotNo = 0;
const timings = [];

function check(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
const page = await context.newPage();
page.setDefaultTimeout(15_000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(e.message));
page.on("console", (m) => {
  // A refused request is logged by the browser too; responses are judged below.
  if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
});
page.on("response", (r) => {
  if (r.status() >= 500) pageErrors.push(`${r.request().method()} ${r.url()} answered ${r.status()}`);
  else if (r.status() >= 400) console.log(`    (${r.request().method()} ${new URL(r.url()).pathname} answered ${r.status()})`);
});

/** Waits for a view to finish rendering. */
async function settled(view) {
  await page.locator(`main[data-view="${view}"][aria-busy="false"]`).waitFor();
}

/** Expects visible text inside `selector` (a string or a RegExp). */
async function sees(selector, text) {
  const target = page.locator(selector).filter({ hasText: text }).first();
  await target.waitFor({ state: "visible" });
}

async function shot(name) {
  shotNo += 1;
  const file = join(shots, `${String(shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function step(name, body) {
  await body();
  const now = performance.now();
  timings.push([name, Math.round(now - stepStarted)]);
  console.log(`ok  ${name} (${Math.round(now - stepStarted)} ms)`);
  stepStarted = now;
  check(pageErrors.length === 0, `no errors in the page: ${pageErrors.join("; ")}`);
}

let productTitle;
let orderId;
let vendorId;

try {
  await step("storefront picker", async () => {
    await page.goto(base);
    await settled("picker");
    await sees("h1", config.tenant);
    const storefront = config.storefronts[0];
    await sees("button.storefront", storefront.name);
    await shot("storefronts");
    await page.locator("button.storefront", { hasText: storefront.name }).click();
    await settled("shop");
    await sees("header .brand", storefront.name);
  });

  await step("browse with facets and cursor paging", async () => {
    await sees("h1", "All products");
    const cards = page.locator("#products li.card");
    const first = await cards.count();
    check(first > 0, "the catalog shows products");
    await shot("browse");
    const more = page.locator("#load-more");
    if (await more.count()) {
      await more.click();
      await page.waitForFunction((n) => document.querySelectorAll("#products li.card").length > n, first);
      console.log(`    load more: ${first} -> ${await cards.count()} products`);
    }
    // A category facet narrows the catalog and names the category.
    const facet = page.locator(".facets .facet").first().locator("a").first();
    if (await facet.count()) {
      const label = (await facet.innerText()).replace(/\s+\d+$/, "").trim();
      const expected = Number((await facet.locator(".n").innerText()).trim());
      await facet.click();
      await settled("shop");
      await sees("h1", label);
      await sees(".more", `of ${expected} products`);
      await shot("browse-category");
      await page.locator(".crumbs a", { hasText: "All" }).first().click();
      await settled("shop");
      await sees("h1", "All products");
    }
    const inStock = page.locator("#products li.card:not(.sold-out) .title").first();
    productTitle = (await inStock.innerText()).trim();
    check(productTitle.length > 0, "an in-stock product to buy");
    console.log(`    buying: ${productTitle}`);
  });

  await step("search as you type", async () => {
    // The longest word of the title, its last letters left off: the search
    // matches the beginning of the last word.
    const word = productTitle.split(/\s+/).reduce((a, b) => (b.length > a.length ? b : a));
    const typed = word.slice(0, Math.max(4, word.length - 2));
    await page.locator("#search").pressSequentially(typed, { delay: 60 });
    await settled("search");
    await sees("h1", `Results for “${typed}”`);
    await sees("#results .title", productTitle);
    check(page.url().includes("#/search?q="), "the address follows the search box");
    await shot("search");
    await page.locator("#results .title", { hasText: productTitle }).first().click();
  });

  await step("product page", async () => {
    await settled("product");
    await sees("h1", productTitle);
    const vendor = (await page.locator("#vendor-name").innerText()).trim();
    const known = config.vendors.find((v) => v.name === vendor);
    check(known, `the product names its vendor (${vendor}) as the config lists it`);
    vendorId = known.vendor_id;
    await sees("#availability", "In stock");
    await shot("product");
    await page.locator("#add-to-cart").click();
    await sees(".added", "Added to cart");
    await sees("header .count", /^[1-9]/);
  });

  await step("cart priced for the region", async () => {
    await page.locator("header nav a", { hasText: "Cart" }).click();
    await settled("cart");
    await sees("#cart-lines", productTitle);
    const region = config.storefronts[0].region;
    await sees("#cart-totals", `Tax (${region})`);
    await sees("#cart-totals", "Total");
    await sees("#delivery", "Delivery window");
    // A cart under the region's minimum order grows until it is not.
    for (let i = 0; i < 5; i++) {
      const minimum = page.locator("#cart-rules li[data-code^='below_minimum']");
      if ((await minimum.count()) === 0) break;
      await page.locator("#cart-lines button[aria-label='One more']").first().click();
      await settled("cart");
    }
    await shot("cart");
    await page.locator("#to-checkout").click();
    await settled("checkout");
  });

  await step("sign up", async () => {
    const signIn = page.locator("#sign-in-to-checkout, #buyer a").first();
    await signIn.click();
    await settled("account");
    await sees("h1", "Your account");
    const email = `shopper-${Date.now()}@demo.example`;
    await page.fill("#signup-name", "Dana Demo");
    await page.fill("#signup-email", email);
    await page.fill("#signup-password", "correct horse battery");
    await shot("sign-up");
    await page.locator("#signup button[type=submit]").click();
    await settled("checkout");
    await sees("#buyer", email);
  });

  await step("age verification (when the cart needs it)", async () => {
    if ((await page.locator("#age-form").count()) === 0) {
      console.log("    the cart needs no verified age");
      return;
    }
    await page.fill("#date-of-birth", "1990-04-01");
    await shot("age-check");
    await page.locator("#verify-age").click();
    await sees("#age-status", "Age verified");
  });

  await step("checkout with the sandbox card", async () => {
    await sees("#checkout-status, .summary", "Total");
    await shot("checkout");
    await page.locator("#place-order").click();
    await settled("order");
    await sees("#order-status", "paid");
    await sees("#payment-status", "succeeded");
    await sees("#order-lines", productTitle);
    await sees("#order-totals", "Total");
    orderId = decodeURIComponent(page.url().split("#/order/")[1] ?? "");
    check(/^[0-9a-f-]{36}$/.test(orderId), `the order page's address holds the order id (${orderId})`);
    await shot("order-paid");
    await sees("header .nav-cart", /^Cart$/);
  });

  await step("vendor packs the order", async () => {
    await page.goto(new URL(`#/vendor?vendor=${vendorId}`, base).href);
    await settled("vendor");
    await sees("h1", config.vendors.find((v) => v.vendor_id === vendorId).name);
    const row = page.locator(`#vendor-orders tr[data-order="${orderId}"]`);
    await row.waitFor();
    await shot("vendor-pending");
    await row.locator("button.pack").click();
    await sees(".flash", "packed");
  });

  await step("vendor ships the order", async () => {
    await page.locator(".tabs a[data-status=packed]").click();
    await settled("vendor");
    const row = page.locator(`#vendor-orders tr[data-order="${orderId}"]`);
    await row.waitFor();
    await sees(`#vendor-orders tr[data-order="${orderId}"]`, "packed");
    await shot("vendor-packed");
    await row.locator("form.ship button").click();
    await sees(".flash", "shipped");
    await page.locator(".tabs a[data-status=shipped]").click();
    await settled("vendor");
    await sees(`#vendor-orders tr[data-order="${orderId}"]`, "shipped");
    await shot("vendor-shipped");
  });

  await step("the storefront's order page says shipped", async () => {
    await page.goto(new URL(`#/order/${orderId}`, base).href);
    await settled("order");
    await sees("#order-status", "shipped");
    await sees("#order-lines", productTitle);
    await shot("order-shipped");
    await page.locator("header nav a", { hasText: "Account" }).click();
    await settled("account");
    await sees("#order-history", "shipped");
    await shot("account");
  });
} catch (error) {
  const file = await shot("failure").catch(() => null);
  console.error(`FAILED: ${error.message}${file ? `\n    screenshot: ${file}` : ""}`);
  if (pageErrors.length) console.error(`    page errors: ${pageErrors.join("; ")}`);
  await browser.close();
  process.exit(1);
}

await browser.close();
console.log(
  `purchase: passed in ${Math.round(performance.now() - started)} ms; ${shotNo} screenshots in ${shots}`,
);
