// A product card, as browse and search show it.

import type { Schemas } from "../api";
import { h } from "../dom";
import { money } from "../format";
import { href } from "../router";
import { cards, vendorName } from "../state";

export function productCard(card: Schemas["ProductCard"], titleNode?: Node): HTMLElement {
  cards.set(card.slug, card);
  return h(
    "li",
    { class: card.in_stock ? "card" : "card sold-out" },
    h(
      "a",
      { href: href(`/product/${encodeURIComponent(card.slug)}`), "data-slug": card.slug },
      h("span", { class: "thumb", "aria-hidden": "true" }, card.title.slice(0, 1)),
      h("span", { class: "title" }, titleNode ?? card.title),
      h("span", { class: "vendor" }, vendorName(card.vendor_id)),
      h(
        "span",
        { class: "meta" },
        h("span", { class: "price" }, `from ${money(card.price, card.currency)}`),
        h("span", { class: card.in_stock ? "stock in" : "stock out" }, card.in_stock ? "In stock" : "Sold out"),
      ),
    ),
  );
}
