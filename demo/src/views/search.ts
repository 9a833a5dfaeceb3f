// `#/search?q=...`: results as the shopper types into the header's box
// (debounced in main.ts), from the search endpoint, with snippets and
// "More results".

import { ok, type Schemas } from "../api";
import { h, replace, snippet } from "../dom";
import { heading, problemBox, searchBox } from "../layout";
import { shop } from "../state";
import type { Ctx } from "../view";
import { productCard } from "./cards";

const PAGE = 12;

let inFlight: AbortController | null = null;

export async function search(ctx: Ctx): Promise<void> {
  const text = ctx.route.query.get("q") ?? "";
  if (document.activeElement !== searchBox) searchBox.value = text;
  // A newer keystroke supersedes the search still running.
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const page = (cursor?: string): Promise<Schemas["SearchPage"]> =>
    ok(shop().GET("/v1/storefront/search", { params: { query: { q: text, limit: PAGE, cursor } }, signal: controller.signal }));

  const results = await page();
  const list = h("ul", { class: "grid results", id: "results" });
  const more = h("div", { class: "more" });
  const add = (p: Schemas["SearchPage"]): void => {
    for (const hit of p.items) {
      const card = productCard(hit.product, snippet(hit.title_snippet));
      if (hit.description_snippet) card.querySelector("a")?.append(h("span", { class: "snippet" }, snippet(hit.description_snippet)));
      list.append(card);
    }
    const next = p.next_cursor;
    replace(
      more,
      next
        ? h(
            "button",
            {
              class: "secondary",
              onclick: async () => {
                try {
                  add(await page(next));
                } catch (error) {
                  more.append(problemBox(error));
                }
              },
            },
            "More results",
          )
        : null,
    );
  };
  add(results);
  ctx.show(
    heading(
      text ? `Results for “${text}”` : "Search",
      results.total === 1 ? "1 product" : `${results.total} products`,
    ),
    results.items.length ? list : h("p", { class: "empty" }, "No products match. Try fewer or other words."),
    more,
  );
}
