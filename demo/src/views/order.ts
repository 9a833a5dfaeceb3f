// `#/order/<id>`: an order's status, payment, lines and totals. The
// shopper's own orders come with their lines; a guest's order is read with
// the token of the cart it was placed from.

import { ok, type Schemas } from "../api";
import { h } from "../dom";
import { isZero, money, shortId, when, words } from "../format";
import { heading } from "../layout";
import { orders, regionRules, session, shop } from "../state";
import type { Ctx } from "../view";

type Order = Schemas["Order"] | Schemas["OrderDetail"];

const STATUS_TEXT: Record<string, string> = {
  pending_payment: "Waiting for the payment.",
  paid: "Paid: the vendors are preparing your order.",
  payment_failed: "The payment did not go through; nothing was charged.",
  fulfilling: "Being packed.",
  partially_shipped: "Part of your order is on its way.",
  shipped: "Shipped: your order is on its way.",
  delivered: "Delivered.",
  cancelled: "Cancelled.",
};

async function load(id: string): Promise<Order> {
  const who = session.get();
  if (who) {
    return ok(
      shop().GET("/v1/customers/me/orders/{order_id}", {
        params: { path: { order_id: id }, header: { "X-Customer-Token": who.token } },
      }),
    );
  }
  const placed = orders.find(id);
  return ok(
    shop().GET("/v1/orders/{order_id}", {
      params: { path: { order_id: id }, header: placed?.cartToken ? { "X-Cart-Token": placed.cartToken } : {} },
    }),
  );
}

export async function orderPage(ctx: Ctx): Promise<void> {
  const id = ctx.route.parts[1] ?? "";
  const o = await load(id);
  const region = await regionRules(o.region);
  const c = o.currency;
  const row = (label: string, amount: string, cls = ""): HTMLElement =>
    h("tr", { class: cls }, h("th", { scope: "row" }, label), h("td", {}, money(amount, c)));
  const lines = "lines" in o ? o.lines : null;

  ctx.show(
    heading(`Order ${shortId(o.id)}`, `Placed ${when(o.created_at, region.timezone)} · delivery in ${region.name}`),
    h(
      "div",
      { class: "order-status" },
      h("span", { class: `status big ${o.status}`, id: "order-status" }, words(o.status)),
      h("p", {}, STATUS_TEXT[o.status] ?? ""),
      h(
        "p",
        { class: "muted", id: "payment-status" },
        `Payment ${words(o.payment_status ?? "pending")}`,
        o.payment_failure ? ` (${words(o.payment_failure)})` : "",
        o.backordered > 0 ? ` · ${o.backordered} on backorder` : "",
      ),
      h(
        "button",
        { class: "secondary", id: "refresh-order", onclick: () => void ctx.again() },
        "Refresh",
      ),
    ),
    h(
      "div",
      { class: "cart" },
      lines
        ? h(
            "table",
            { class: "lines", id: "order-lines" },
            h("thead", {}, h("tr", {}, h("th", {}, "Item"), h("th", {}, "Price"), h("th", {}, "Quantity"), h("th", {}, "Total"))),
            h(
              "tbody",
              {},
              lines.map((l) =>
                h(
                  "tr",
                  {},
                  h("td", {}, l.title, h("small", {}, ` ${l.sku}`)),
                  h("td", {}, money(l.unit_price, c)),
                  h("td", {}, l.quantity),
                  h("td", {}, money(l.gross, c)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "Sign in to see the items of your orders."),
      h(
        "aside",
        { class: "summary" },
        h(
          "table",
          { class: "totals", id: "order-totals" },
          h(
            "tbody",
            {},
            row("Subtotal", o.subtotal),
            row("Shipping", o.shipping_total),
            row("Tax", o.tax_total),
            isZero(o.excise_total) ? null : row("Cannabis excise", o.excise_total),
            isZero(o.discount_total) ? null : row(`Points (${o.loyalty_points})`, `-${o.discount_total}`),
            row("Total", o.total, "grand"),
          ),
        ),
        h("p", { class: "muted small" }, `Priced with the ${o.region} region pack, version ${o.region_version.slice(0, 12)}.`),
      ),
    ),
  );
}
