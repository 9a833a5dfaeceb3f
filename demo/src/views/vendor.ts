// `#/vendor`: a vendor's back office with its own key: its orders by
// status (pending, packed, shipped), packed and shipped from here.

import { ok, type Schemas } from "../api";
import { h, replace } from "../dom";
import { money, shortId, when } from "../format";
import { busy, flash, heading, problemBox } from "../layout";
import { href } from "../router";
import { apiFor, backOffice, chooseVendor, demo } from "../state";
import type { Ctx } from "../view";

type Status = Schemas["VendorOrderStatus"];
const STATUSES: { status: Status; label: string }[] = [
  { status: "pending", label: "To pack" },
  { status: "packed", label: "To ship" },
  { status: "shipped", label: "Shipped" },
];

/** What the last pack or ship did, shown once above the list. */
let done: string | null = null;

export async function vendorPage(ctx: Ctx): Promise<void> {
  const chosen = ctx.route.query.get("vendor");
  if (chosen) chooseVendor(chosen);
  const vendor = backOffice();
  if (!vendor) {
    ctx.show(heading("Back office"), h("p", { class: "empty" }, "This demo has no vendors."));
    return;
  }
  const asked = ctx.route.query.get("status");
  const status: Status = STATUSES.find((s) => s.status === asked)?.status ?? "pending";
  const api = apiFor(vendor.key);
  const [me, ...pages] = await Promise.all([
    ok(api.GET("/v1/vendors/{vendor_id}", { params: { path: { vendor_id: vendor.vendor_id } } })),
    ...STATUSES.map((s) => ok(api.GET("/v1/vendor-orders", { params: { query: { status: s.status, limit: 100 } } }))),
  ]);
  const page = pages[STATUSES.findIndex((s) => s.status === status)] ?? { items: [] };
  const notice = h("div", {});
  const reload = (message: string): void => {
    done = message;
    void ctx.again();
  };
  const message = done;
  done = null;

  const act = (part: Schemas["VendorOrder"]): HTMLElement | null => {
    if (part.status === "pending") {
      return h(
        "button",
        {
          class: "pack",
          disabled: part.awaiting_stock > 0,
          onclick: async () => {
            busy();
            try {
              await ok(api.POST("/v1/vendor-orders/{vendor_order_id}/pack", { params: { path: { vendor_order_id: part.id } } }));
              reload(`Order ${shortId(part.order_id)} packed.`);
            } catch (error) {
              replace(notice, problemBox(error));
              busy(false);
            }
          },
        },
        part.awaiting_stock > 0 ? `Awaiting ${part.awaiting_stock}` : "Pack",
      );
    }
    if (part.status === "packed") {
      const carrier = h(
        "select",
        { "aria-label": "Carrier", class: "carrier" },
        ["Greenleaf Couriers", "UPS", "FedEx", "USPS"].map((c) => h("option", {}, c)),
      );
      const tracking = h("input", {
        "aria-label": "Tracking number",
        class: "tracking",
        value: `GL${part.id.replaceAll("-", "").slice(-10).toUpperCase()}`,
      });
      return h(
        "form",
        {
          class: "ship",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            busy();
            try {
              await ok(
                api.POST("/v1/vendor-orders/{vendor_order_id}/ship", {
                  params: { path: { vendor_order_id: part.id } },
                  body: { carrier: carrier.value, tracking_number: tracking.value },
                }),
              );
              reload(`Order ${shortId(part.order_id)} shipped with ${carrier.value}.`);
            } catch (error) {
              replace(notice, problemBox(error));
              busy(false);
            }
          },
        },
        carrier,
        tracking,
        h("button", { type: "submit" }, "Ship"),
      );
    }
    return h("span", { class: "muted" }, [part.carrier, part.tracking_number].filter(Boolean).join(" · "));
  };

  ctx.show(
    heading(me.name, `Back office · ${demo().tenant}`),
    demo().vendors.length > 1
      ? h(
          "p",
          { class: "switch" },
          "Vendor: ",
          demo().vendors.map((v) =>
            h("a", { href: href("/vendor", { vendor: v.vendor_id }), class: v.vendor_id === vendor.vendor_id ? "chip active" : "chip" }, v.name),
          ),
        )
      : null,
    h(
      "nav",
      { class: "tabs", "aria-label": "Order status" },
      STATUSES.map((s, i) =>
        h(
          "a",
          { href: href("/vendor", { status: s.status }), class: s.status === status ? "tab active" : "tab", "data-status": s.status },
          s.label,
          h("span", { class: "n" }, pages[i]?.items.length ?? 0),
        ),
      ),
    ),
    message ? flash(message) : null,
    notice,
    page.items.length
      ? h(
          "table",
          { class: "lines vendor-orders", id: "vendor-orders" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, "Order"), h("th", {}, "Placed"), h("th", {}, "Total"), h("th", {}, "Status"), h("th", {}, "")),
          ),
          h(
            "tbody",
            {},
            page.items.map((part) =>
              h(
                "tr",
                { "data-order": part.order_id },
                h("td", {}, h("strong", {}, shortId(part.order_id))),
                h("td", {}, when(part.created_at)),
                h("td", {}, money(part.total, part.currency), h("small", {}, ` incl. ${money(part.shipping, part.currency)} shipping`)),
                h("td", {}, h("span", { class: `status ${part.status}` }, part.status)),
                h("td", { class: "act" }, act(part)),
              ),
            ),
          ),
        )
      : h("p", { class: "empty" }, `No ${STATUSES.find((s) => s.status === status)?.label.toLowerCase()} orders.`),
  );
}
