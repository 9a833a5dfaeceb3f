// `#/cart`: the priced cart: lines, shipping per vendor, region tax and
// excise, total, the delivery window and the region's rules.

import type { Schemas } from "../api";
import { h, replace } from "../dom";
import { deliveryWindow, isZero, money } from "../format";
import { busy, heading, problemBox } from "../layout";
import { href } from "../router";
import { type CartView, current, setQuantity } from "../shopping";
import { regionRules, vendorName } from "../state";
import type { Ctx } from "../view";

/** The totals block, shared with the checkout page. */
export function totals(view: CartView): HTMLElement {
  const c = view.currency;
  const t = view.totals;
  const row = (label: string, amount: string, cls = ""): HTMLElement =>
    h("tr", { class: cls }, h("th", { scope: "row" }, label), h("td", {}, money(amount, c)));
  return h(
    "table",
    { class: "totals", id: "cart-totals" },
    h(
      "tbody",
      {},
      row("Subtotal", t.subtotal),
      view.shipping.map((s: Schemas["CartShipping"]) =>
        row(`Shipping · ${vendorName(s.vendor_id)}`, s.net, "shipping-line"),
      ),
      view.shipping.length === 0 ? row("Shipping", t.shipping_total) : null,
      row(`Tax (${view.region})`, t.tax_total, "tax"),
      isZero(t.excise_total) ? null : row("Cannabis excise", t.excise_total, "excise"),
      row("Total", t.total, "grand"),
    ),
  );
}

/** When the order can be delivered, from the priced cart. */
export function delivery(view: CartView, timeZone?: string): HTMLElement {
  const next = view.next_delivery_window;
  return h(
    "p",
    { class: view.delivery_open ? "delivery open" : "delivery closed", id: "delivery" },
    view.delivery_open ? "Delivery is open now. " : "Delivery is closed right now. ",
    next ? ["Delivery window: ", h("strong", {}, deliveryWindow(next.starts_at, next.ends_at, timeZone)), "."] : null,
  );
}

/**
 * What the region's rules say about the cart as it stands (with a reminder
 * of the age check, unless the checkout page shows it).
 */
export function rules(view: CartView, remindAge = true): HTMLElement | null {
  const notes = view.violations.map((v) => h("li", { "data-code": v.code }, v.message));
  if (remindAge && view.age_verification_required && !view.violations.some((v) => v.code === "age_verification_required")) {
    notes.push(h("li", { "data-code": "age_verification_required" }, "Some items need a verified age: sign in and verify it at checkout."));
  }
  return notes.length ? h("ul", { class: "rules", id: "cart-rules" }, notes) : null;
}

export async function cartPage(ctx: Ctx): Promise<void> {
  const view = await current();
  if (!view || view.lines.length === 0) {
    ctx.show(heading("Your cart"), h("p", { class: "empty" }, "Your cart is empty. ", h("a", { href: "#/shop" }, "Browse the shop"), "."));
    return;
  }
  const status = h("div", {});
  const change = (lineId: string, quantity: number) => async () => {
    busy();
    try {
      await setQuantity(lineId, quantity);
      await ctx.again();
    } catch (error) {
      replace(status, problemBox(error));
      busy(false);
    }
  };
  const c = view.currency;
  const region = await regionRules(view.region);
  ctx.show(
    heading("Your cart", `Priced for delivery in ${region.name} (${view.region})`),
    status,
    h(
      "div",
      { class: "cart" },
      h(
        "table",
        { class: "lines", id: "cart-lines" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "Item"), h("th", {}, "Price"), h("th", {}, "Quantity"), h("th", {}, "Total")),
        ),
        h(
          "tbody",
          {},
          view.lines.map((l) =>
            h(
              "tr",
              { class: l.available ? "" : "unavailable" },
              h(
                "td",
                {},
                h("a", { href: href(`/product/${l.product_id}`) }, l.title),
                h("small", {}, ` ${l.sku}`),
                l.available ? null : h("small", { class: "warn" }, " · no longer sold here"),
              ),
              h("td", {}, money(l.unit_price, c)),
              h(
                "td",
                { class: "qty" },
                h("button", { class: "step", "aria-label": "One fewer", onclick: change(l.id, l.quantity - 1) }, "−"),
                h("span", {}, l.quantity),
                h("button", { class: "step", "aria-label": "One more", onclick: change(l.id, l.quantity + 1) }, "+"),
                h("button", { class: "link", onclick: change(l.id, 0) }, "Remove"),
              ),
              h("td", {}, l.gross ? money(l.gross, c) : "—"),
            ),
          ),
        ),
      ),
      h(
        "aside",
        { class: "summary" },
        totals(view),
        delivery(view, region.timezone),
        rules(view),
        h("a", { class: "button", href: "#/checkout", id: "to-checkout" }, "Checkout"),
      ),
    ),
  );
}
