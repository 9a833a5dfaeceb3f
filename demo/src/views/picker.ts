// `#/`: choose the storefront (brand) to shop in.

import { h } from "../dom";
import { heading, refreshChrome, setCartCount } from "../layout";
import { go } from "../router";
import { chooseStorefront, demo, storefront } from "../state";
import type { Ctx } from "../view";

export async function picker(ctx: Ctx): Promise<void> {
  const config = demo();
  const chosen = storefront();
  ctx.show(
    heading(config.tenant, "Choose a storefront to shop in."),
    h(
      "ul",
      { class: "storefronts" },
      config.storefronts.map((s) =>
        h(
          "li",
          {},
          h(
            "button",
            {
              class: s.brand_id === chosen?.brand_id ? "storefront chosen" : "storefront",
              onclick: () => {
                chooseStorefront(s.brand_id);
                setCartCount(0);
                refreshChrome();
                go("/shop");
              },
            },
            h("strong", {}, s.name),
            h("span", {}, `Delivers in ${s.region}`),
          ),
        ),
      ),
    ),
    h(
      "p",
      { class: "muted" },
      "Vendors fulfil their orders from the ",
      h("a", { href: "#/vendor" }, "back office"),
      ".",
    ),
  );
}
