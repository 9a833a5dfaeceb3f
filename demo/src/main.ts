// The demo storefront: loads /demo/config.json, draws the frame and routes
// `#/...` to the views. Every API call goes through the typed client in
// api.ts.

import { h, replace } from "./dom";
import { busy, heading, main, mount, problemBox, refreshChrome, searchBox } from "./layout";
import { current, go, replaceQuietly } from "./router";
import { current as currentCart } from "./shopping";
import { loadConfig, storefront } from "./state";
import type { Ctx, View } from "./view";
import { account } from "./views/account";
import { browse } from "./views/browse";
import { cartPage } from "./views/cart";
import { checkout } from "./views/checkout";
import { orderPage } from "./views/order";
import { picker } from "./views/picker";
import { product } from "./views/product";
import { search } from "./views/search";
import { vendorPage } from "./views/vendor";

/** Views by the first part of the route; `true` marks those that need a storefront. */
const VIEWS: Record<string, [View, boolean]> = {
  "": [picker, false],
  shop: [browse, true],
  search: [search, true],
  product: [product, true],
  cart: [cartPage, true],
  account: [account, true],
  checkout: [checkout, true],
  order: [orderPage, true],
  vendor: [vendorPage, false],
};

let shown = 0;

/** Runs a view; what goes wrong is shown in its place. */
async function run(view: View, ctx: Ctx): Promise<void> {
  busy();
  try {
    await view(ctx);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") return;
    ctx.show(heading("Something went wrong"), problemBox(error));
  }
}

async function render(): Promise<void> {
  const route = current();
  const seq = ++shown;
  const live = (): boolean => seq === shown;
  const ctx: Ctx = {
    route,
    live,
    show: (...nodes) => {
      if (!live()) return;
      replace(main, ...nodes);
      main.dataset.view = route.parts[0] ?? "picker";
      busy(false);
    },
    again: () => run(view, ctx),
  };
  refreshChrome();
  if (route.parts[0] !== "search") searchBox.value = "";
  const [view, needsShop] = VIEWS[route.parts[0] ?? ""] ?? [notFound, false];
  if (needsShop && !storefront()) {
    go("/");
    return;
  }
  await run(view, ctx);
  if (route.parts[0] !== "search" && live()) window.scrollTo(0, 0);
}

async function notFound(ctx: Ctx): Promise<void> {
  ctx.show(heading("Page not found"), h("p", {}, h("a", { href: "#/shop" }, "Back to the shop")));
}

/** Search as you type: 250 ms after the last keystroke, the results page follows the box. */
function wireSearch(): void {
  let timer: number | undefined;
  const follow = (): void => {
    const q = searchBox.value.trim();
    if (current().parts[0] === "search") {
      replaceQuietly("/search", { q });
      void render();
    } else if (q) {
      go("/search", { q });
    }
  };
  searchBox.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(follow, 250);
  });
  searchBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(timer);
      follow();
    }
  });
}

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (!root) return;
  mount(root);
  try {
    await loadConfig();
  } catch (error) {
    main.replaceChildren(heading("The demo is not set up"), problemBox(error));
    return;
  }
  wireSearch();
  window.addEventListener("hashchange", () => void render());
  await render();
  if (storefront()) await currentCart().catch(() => undefined);
}

void start();
