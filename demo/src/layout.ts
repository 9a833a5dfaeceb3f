// The page's frame: the header (storefront, search box, cart and account
// links), the main area views render into, and how errors are shown.

import { ProblemError } from "./api";
import { h, replace } from "./dom";
import { current, href } from "./router";
import { demo, session, storefront } from "./state";

const brandLink = h("a", { class: "brand", href: "#/" });
export const searchBox = h("input", {
  type: "search",
  id: "search",
  placeholder: "Search the shop…",
  autocomplete: "off",
  "aria-label": "Search products",
});
const cartLink = h("a", { href: "#/cart", class: "nav-cart" }, "Cart");
const accountLink = h("a", { href: "#/account" }, "Sign in");
const nav = h(
  "nav",
  {},
  h("a", { href: "#/shop" }, "Shop"),
  cartLink,
  accountLink,
  h("a", { href: "#/vendor", class: "nav-vendor" }, "Vendor"),
);
export const main = h("main", { id: "view", tabindex: "-1" });

let cartCount = 0;

/**
 * Marks the page as changing (`aria-busy`) from the moment an action starts
 * until the view shows its result, so that tests and assistive technology
 * wait for it.
 */
export function busy(on = true): void {
  main.setAttribute("aria-busy", String(on));
}

/** Builds the frame once into `root`. */
export function mount(root: HTMLElement): void {
  replace(
    root,
    h("header", { class: "top" }, h("div", { class: "bar" }, brandLink, searchBox, nav)),
    main,
    h(
      "footer",
      {},
      "Bazaar demo storefront · sandbox payments (no card is charged) · ",
      h("a", { href: "/docs" }, "API reference"),
    ),
  );
}

/** Brings the header up to date with the storefront, cart and session. */
export function refreshChrome(): void {
  const s = storefront();
  const onVendor = current().parts[0] === "vendor";
  replace(brandLink, onVendor ? `${demo().tenant} · back office` : (s?.name ?? demo().tenant));
  brandLink.setAttribute("href", onVendor ? "#/vendor" : s ? "#/shop" : "#/");
  searchBox.hidden = !s || onVendor;
  replace(cartLink, "Cart", cartCount > 0 ? h("span", { class: "count" }, cartCount) : null);
  const who = session.get();
  replace(accountLink, who ? "Account" : "Sign in");
  document.title = onVendor ? `Back office · ${demo().tenant}` : `${s?.name ?? demo().tenant} · Bazaar demo`;
}

export function setCartCount(n: number): void {
  cartCount = n;
  refreshChrome();
}

/** A box telling the user what went wrong: the problem's detail and code. */
export function problemBox(error: unknown): HTMLElement {
  if (error instanceof ProblemError) {
    return h(
      "div",
      { class: "problem", role: "alert" },
      h("strong", {}, error.problem.title),
      h("p", {}, error.problem.detail),
      h("small", {}, `${error.status} · ${error.problem.code}`),
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("strong", {}, "Something went wrong"),
    h("p", {}, message),
  );
}

/** A short confirmation at the top of the main area. */
export function flash(message: string, link?: { text: string; to: string }): HTMLElement {
  return h("div", { class: "flash", role: "status" }, message, link ? h("a", { href: link.to }, link.text) : null);
}

/** A page heading with an optional line below it. */
export function heading(title: string, sub?: string | Node): HTMLElement {
  return h("div", { class: "heading" }, h("h1", {}, title), sub ? h("p", { class: "sub" }, sub) : null);
}

export { href };
