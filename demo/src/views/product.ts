// `#/product/<slug>`: title, vendor, price, description, attributes, the
// variants with their availability, and "Add to cart".

import { ok, type Schemas } from "../api";
import { h, replace } from "../dom";
import { money } from "../format";
import { flash, problemBox } from "../layout";
import { href } from "../router";
import { add } from "../shopping";
import { cards, categoryNames, regionRules as rules, shop, storefront, vendorName } from "../state";
import type { Ctx } from "../view";

type Product = Schemas["StorefrontProduct"];

/**
 * Whether the product can be bought now. The product page itself does not
 * say (yet): the card seen while browsing does, or a search finds it.
 */
async function inStock(p: Product): Promise<boolean | null> {
  if ("in_stock" in p && typeof p.in_stock === "boolean") return p.in_stock;
  const card = cards.get(p.slug);
  if (card) return card.in_stock;
  const found = await ok(shop().GET("/v1/storefront/search", { params: { query: { q: p.title, limit: 20 } } }));
  const hit = found.items.find((i) => i.product.id === p.id);
  if (hit) cards.set(p.slug, hit.product);
  return hit ? hit.product.in_stock : null;
}

/** The vendor's name: from the product when the API gives it, else the demo's list. */
function soldBy(p: Product): string {
  return "vendor_name" in p && typeof p.vendor_name === "string" ? p.vendor_name : vendorName(p.vendor_id);
}

function attributeText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export async function product(ctx: Ctx): Promise<void> {
  const slug = ctx.route.parts[1] ?? "";
  const region = storefront()?.region ?? "";
  const [p, regionRules, categories] = await Promise.all([
    ok(shop().GET("/v1/storefront/products/{id_or_slug}", { params: { path: { id_or_slug: slug } } })),
    rules(region),
    categoryNames(),
  ]);
  const available = await inStock(p);
  const ageCategories = new Set(regionRules.age_verification.categories ?? []);
  const minimumAge = regionRules.age_verification.minimum_age;

  const status = h("div", { class: "added" });
  const quantity = h("input", { type: "number", id: "quantity", min: 1, max: 99, value: 1, "aria-label": "Quantity" });
  const choices = h(
    "fieldset",
    { class: "variants" },
    h("legend", {}, "Choose"),
    p.variants.map((v, i) =>
      h(
        "label",
        { class: "variant" },
        h("input", { type: "radio", name: "variant", value: v.id, checked: i === 0 }),
        h("span", { class: "v-title" }, v.title),
        h(
          "span",
          { class: "v-price" },
          v.compare_at_price ? h("s", {}, money(v.compare_at_price, v.currency)) : null,
          " ",
          money(v.price, v.currency),
        ),
        v.age_restricted || ageCategories.has(v.tax_category)
          ? h("span", { class: "badge age" }, `${minimumAge}+`)
          : null,
      ),
    ),
  );
  const addButton = h(
    "button",
    {
      id: "add-to-cart",
      disabled: available === false,
      onclick: async () => {
        const chosen = choices.querySelector<HTMLInputElement>("input[name=variant]:checked");
        if (!chosen) return;
        addButton.disabled = true;
        replace(status);
        try {
          const view = await add(chosen.value, Math.max(1, Number(quantity.value) || 1));
          const line = view.lines.find((l) => l.variant_id === chosen.value);
          replace(
            status,
            flash(`Added to cart${line ? ` (${line.quantity} in cart)` : ""}. `, { text: "View cart", to: "#/cart" }),
          );
        } catch (error) {
          replace(status, problemBox(error));
        } finally {
          addButton.disabled = false;
        }
      },
    },
    available === false ? "Sold out" : "Add to cart",
  );
  const restricted = p.variants.some((v) => v.age_restricted || ageCategories.has(v.tax_category));
  const attributes = Object.entries(p.attributes);

  ctx.show(
    h(
      "p",
      { class: "crumbs" },
      h("a", { href: "#/shop" }, "All products"),
      p.category_path
        ? p.category_path.split("/").map((_, i, parts) => {
            const path = parts.slice(0, i + 1).join("/");
            return [" › ", h("a", { href: href("/shop", { category: path }) }, categories.get(path) ?? path)];
          })
        : null,
    ),
    h(
      "article",
      { class: "product" },
      h("div", { class: "picture", "aria-hidden": "true" }, p.title.slice(0, 1)),
      h(
        "div",
        { class: "details" },
        h("h1", {}, p.title),
        h(
          "p",
          { class: "sold-by" },
          "Sold by ",
          h("a", { href: href("/shop", { vendor: p.vendor_id }), id: "vendor-name" }, soldBy(p)),
        ),
        h("p", { class: "price big" }, `from ${money(p.price, p.currency)}`),
        h(
          "p",
          { id: "availability", class: available ? "stock in" : "stock out" },
          available === null ? "Availability unknown" : available ? "In stock · ready for delivery" : "Sold out",
        ),
        restricted
          ? h(
              "p",
              { class: "notice" },
              `Age-restricted in ${regionRules.name}: a verified age of ${minimumAge}+ is needed at checkout.`,
            )
          : null,
        h("p", { class: "description" }, p.description),
        attributes.length
          ? h("dl", { class: "attributes" }, attributes.map(([k, v]) => [h("dt", {}, k), h("dd", {}, attributeText(v))]))
          : null,
        choices,
        h("div", { class: "buy" }, quantity, addButton),
        status,
      ),
    ),
  );
}
