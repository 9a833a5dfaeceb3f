// `#/checkout`: who is buying (sign-in when the cart needs a verified
// age), the age check, the delivery window, the sandbox card and the
// priced total; "Place order" checks out with an Idempotency-Key.

import { ok, ProblemError } from "../api";
import { h, replace } from "../dom";
import { heading, problemBox, setCartCount } from "../layout";
import { go, href } from "../router";
import { current, sessionGone } from "../shopping";
import { cart, cartHeaders, orders, regionRules, session, shop } from "../state";
import type { Ctx } from "../view";
import { agePanel, type Me, verified } from "./age";
import { delivery, rules, totals } from "./cart";

/** The sandbox gateway's test cards. */
const CARDS = [
  ["tok_success", "Sandbox Visa ending 4242 (charges)"],
  ["tok_decline", "Sandbox card that is declined"],
  ["tok_insufficient_funds", "Sandbox card without funds"],
] as const;

/**
 * The key of the attempt being made: kept when an attempt gets no answer
 * (so retrying it cannot charge twice), new once the API has answered.
 */
let pendingKey: string | null = null;

export async function checkout(ctx: Ctx): Promise<void> {
  const view = await current();
  const ref = cart.get();
  if (!view || !ref || view.lines.length === 0) {
    ctx.show(heading("Checkout"), h("p", { class: "empty" }, "Your cart is empty. ", h("a", { href: "#/shop" }, "Browse the shop"), "."));
    return;
  }
  const who = session.get();
  const region = await regionRules(view.region);
  const minimumAge = region.age_verification.minimum_age;
  let me: Me | null = null;
  if (who) {
    try {
      me = await ok(shop().GET("/v1/customers/me", { params: { header: { "X-Customer-Token": who.token } } }));
    } catch (error) {
      if (!sessionGone(error)) throw error;
      session.set(null);
      go("/account", { next: "/checkout" });
      return;
    }
  }
  const needsAge = view.age_verification_required;
  const blocked = needsAge && (!me || !verified(me));

  const status = h("div", { id: "checkout-status" });
  const card = h(
    "fieldset",
    { class: "cards" },
    h("legend", {}, "Payment"),
    CARDS.map(([token, label], i) =>
      h("label", {}, h("input", { type: "radio", name: "card", value: token, checked: i === 0 }), ` ${label}`),
    ),
  );
  const place = h(
    "button",
    {
      id: "place-order",
      disabled: blocked,
      onclick: async () => {
        const token = card.querySelector<HTMLInputElement>("input[name=card]:checked")?.value ?? "tok_success";
        place.disabled = true;
        replace(status, h("p", { class: "muted" }, "Placing your order…"));
        pendingKey ??= crypto.randomUUID();
        try {
          const order = await ok(
            shop().POST("/v1/carts/{cart_id}/checkout", {
              params: { path: { cart_id: ref.id }, header: { ...cartHeaders(ref), "Idempotency-Key": pendingKey } },
              body: { payment_token: token },
            }),
          );
          pendingKey = null;
          orders.add({ id: order.id, cartToken: ref.token });
          cart.set(null);
          setCartCount(0);
          go(`/order/${order.id}`);
        } catch (error) {
          // An answer (even a refusal) ends the attempt; no answer keeps its key.
          if (error instanceof ProblemError) pendingKey = null;
          replace(status, problemBox(error));
          place.disabled = false;
        }
      },
    },
    "Place order",
  );

  const account = who
    ? h("p", { id: "buyer" }, "Signed in as ", h("strong", {}, who.email), ".")
    : needsAge
      ? h(
          "div",
          { class: "notice", id: "buyer" },
          h("p", {}, `Your cart has age-restricted items: sign in to an account whose age (${minimumAge}+) is verified.`),
          h("a", { class: "button", href: href("/account", { next: "/checkout" }), id: "sign-in-to-checkout" }, "Sign in or create an account"),
        )
      : h(
          "p",
          { id: "buyer" },
          "Checking out as a guest. ",
          h("a", { href: href("/account", { next: "/checkout" }) }, "Sign in"),
          " to keep the order in your account.",
        );

  ctx.show(
    heading("Checkout", `${view.lines.length} ${view.lines.length === 1 ? "item" : "items"} · delivery in ${region.name}`),
    h(
      "div",
      { class: "cart" },
      h(
        "div",
        { class: "steps" },
        h("section", { class: "panel" }, h("h2", {}, "1. Account"), account),
        needsAge && who && me
          ? h("section", { class: "panel" }, h("h2", {}, "2. Age"), agePanel(me, who, minimumAge, () => void ctx.again()))
          : null,
        h("section", { class: "panel" }, h("h2", {}, needsAge ? "3. Delivery and payment" : "2. Delivery and payment"), delivery(view, region.timezone), card),
      ),
      h(
        "aside",
        { class: "summary" },
        h(
          "ul",
          { class: "brief" },
          view.lines.map((l) => h("li", {}, h("span", {}, `${l.quantity} × ${l.title}`), h("small", {}, l.sku))),
        ),
        totals(view),
        rules(view, false),
        place,
        status,
      ),
    ),
  );
}
