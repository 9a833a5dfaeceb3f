// `#/account`: sign in or create an account (the guest cart comes along),
// and, signed in, the account with its age verification and orders.

import { ok } from "../api";
import { h, replace } from "../dom";
import { money, shortId, when, words } from "../format";
import { heading, problemBox, refreshChrome } from "../layout";
import { go, href } from "../router";
import { sessionGone } from "../shopping";
import { cart, regionRules, session, shop, type Session, storefront } from "../state";
import type { Ctx } from "../view";
import { agePanel } from "./age";

/** Keeps a new session and the account's cart it brought. */
function signedIn(view: { token: string; customer: { id: string; email?: string | null }; cart_id?: string | null }, email: string): void {
  session.set({ token: view.token, customerId: view.customer.id, email: view.customer.email ?? email });
  cart.set(view.cart_id ? { id: view.cart_id } : null);
  refreshChrome();
}

function guestCart(): { cart_id: string; token: string } | undefined {
  const ref = cart.get();
  return ref?.token ? { cart_id: ref.id, token: ref.token } : undefined;
}

function field(label: string, input: HTMLInputElement): HTMLElement {
  return h("label", {}, h("span", {}, label), input);
}

function signInForms(ctx: Ctx): void {
  const next = ctx.route.query.get("next") ?? "/account";
  const after = (): void => {
    if (next === "/account") void ctx.again();
    else go(next);
  };

  const upStatus = h("div", {});
  const up = {
    name: h("input", { name: "name", id: "signup-name", autocomplete: "name" }),
    email: h("input", { name: "email", id: "signup-email", type: "email", required: true, autocomplete: "email" }),
    password: h("input", { name: "password", id: "signup-password", type: "password", required: true, minlength: 8, autocomplete: "new-password" }),
  };
  const signUp = h(
    "form",
    {
      class: "panel",
      id: "signup",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const view = await ok(
            shop().POST("/v1/customers", {
              body: {
                email: up.email.value,
                password: up.password.value,
                name: up.name.value || undefined,
                cart: guestCart(),
              },
            }),
          );
          signedIn(view, up.email.value);
          after();
        } catch (error) {
          replace(upStatus, problemBox(error));
        }
      },
    },
    h("h2", {}, "Create an account"),
    field("Name", up.name),
    field("Email", up.email),
    field("Password (8+ characters)", up.password),
    h("button", { type: "submit" }, "Create account"),
    upStatus,
  );

  const inStatus = h("div", {});
  const login = {
    email: h("input", { name: "email", id: "signin-email", type: "email", required: true, autocomplete: "email" }),
    password: h("input", { name: "password", id: "signin-password", type: "password", required: true, autocomplete: "current-password" }),
  };
  const signIn = h(
    "form",
    {
      class: "panel",
      id: "signin",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const view = await ok(
            shop().POST("/v1/customers/login", {
              body: { email: login.email.value, password: login.password.value, cart: guestCart() },
            }),
          );
          signedIn(view, login.email.value);
          after();
        } catch (error) {
          replace(inStatus, problemBox(error));
        }
      },
    },
    h("h2", {}, "Sign in"),
    field("Email", login.email),
    field("Password", login.password),
    h("button", { type: "submit" }, "Sign in"),
    inStatus,
  );

  ctx.show(
    heading("Your account", next === "/checkout" ? "Sign in or create an account to check out." : "Sign in to see your orders."),
    h("div", { class: "two" }, signIn, signUp),
  );
}

async function signOut(who: Session): Promise<void> {
  try {
    await ok(shop().POST("/v1/customers/logout", { params: { header: { "X-Customer-Token": who.token } } }));
  } finally {
    session.set(null);
    cart.set(null);
    refreshChrome();
  }
}

export async function account(ctx: Ctx): Promise<void> {
  const who = session.get();
  if (!who) {
    signInForms(ctx);
    return;
  }
  const header = { "X-Customer-Token": who.token };
  let me, history, rules;
  try {
    [me, history, rules] = await Promise.all([
      ok(shop().GET("/v1/customers/me", { params: { header } })),
      ok(shop().GET("/v1/customers/me/orders", { params: { header, query: { limit: 20 } } })),
      regionRules(storefront()?.region ?? ""),
    ]);
  } catch (error) {
    if (!sessionGone(error)) throw error;
    session.set(null);
    refreshChrome();
    signInForms(ctx);
    return;
  }
  ctx.show(
    heading(me.name ? `Hello, ${me.name}` : "Your account", me.email ?? who.email),
    h(
      "div",
      { class: "two" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Age verification"),
        agePanel(me, who, rules.age_verification.minimum_age, () => void ctx.again()),
        h(
          "button",
          {
            class: "secondary",
            id: "sign-out",
            onclick: async () => {
              await signOut(who).catch(() => undefined);
              go("/shop");
            },
          },
          "Sign out",
        ),
      ),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Orders"),
        history.items.length
          ? h(
              "ul",
              { class: "orders", id: "order-history" },
              history.items.map((o) =>
                h(
                  "li",
                  {},
                  h("a", { href: href(`/order/${o.id}`) }, `Order ${shortId(o.id)}`),
                  h("span", { class: `status ${o.status}` }, words(o.status)),
                  h("span", {}, money(o.total, o.currency)),
                  h("small", {}, when(o.created_at)),
                ),
              ),
            )
          : h("p", { class: "muted" }, "No orders yet."),
      ),
    ),
  );
}
