// The cart as the pages use it: made on the first "Add to cart", read and
// changed with the guest token or the shopper's session, and forgotten when
// it is checked out or gone.

import { ok, ProblemError, type Schemas } from "./api";
import { setCartCount } from "./layout";
import { cart, cartHeaders, session, shop } from "./state";

export type CartView = Schemas["CartView"];

/** Whether an error says the cart cannot be used any more. */
function cartGone(error: unknown): boolean {
  return error instanceof ProblemError && ["cart_not_found", "cart_checked_out"].includes(error.code);
}

/** Whether an error says the shopper's session is no longer valid. */
export function sessionGone(error: unknown): boolean {
  return error instanceof ProblemError && error.code === "invalid_session";
}

export function count(view: CartView | null): number {
  return view ? view.lines.reduce((n, l) => n + l.quantity, 0) : 0;
}

/** The current cart, or null when there is none (or it is gone). */
export async function current(): Promise<CartView | null> {
  const ref = cart.get();
  if (!ref) {
    setCartCount(0);
    return null;
  }
  try {
    const view = await ok(shop().GET("/v1/carts/{cart_id}", { params: { path: { cart_id: ref.id }, header: cartHeaders(ref) } }));
    setCartCount(count(view));
    return view;
  } catch (error) {
    if (sessionGone(error)) session.set(null);
    if (cartGone(error) || sessionGone(error)) {
      cart.set(null);
      setCartCount(0);
      return null;
    }
    throw error;
  }
}

async function open(): Promise<{ id: string; token?: string }> {
  const existing = cart.get();
  if (existing) return existing;
  const who = session.get();
  const made = await ok(
    shop().POST("/v1/carts", { body: {}, params: { header: who ? { "X-Customer-Token": who.token } : {} } }),
  );
  const ref = { id: made.cart.id, token: made.token ?? undefined };
  cart.set(ref);
  return ref;
}

/** Adds `quantity` of a variant, making a cart first if needed. */
export async function add(variantId: string, quantity: number): Promise<CartView> {
  for (let attempt = 0; ; attempt++) {
    const ref = await open();
    try {
      const view = await ok(
        shop().POST("/v1/carts/{cart_id}/lines", {
          params: { path: { cart_id: ref.id }, header: cartHeaders(ref) },
          body: { variant_id: variantId, quantity },
        }),
      );
      setCartCount(count(view));
      return view;
    } catch (error) {
      if (attempt === 0 && cartGone(error)) {
        cart.set(null);
        continue;
      }
      throw error;
    }
  }
}

/** Sets a line's quantity (0 removes it). */
export async function setQuantity(lineId: string, quantity: number): Promise<CartView> {
  const ref = cart.get();
  if (!ref) throw new Error("there is no cart");
  const view = await ok(
    shop().PATCH("/v1/carts/{cart_id}/lines/{line_id}", {
      params: { path: { cart_id: ref.id, line_id: lineId }, header: cartHeaders(ref) },
      body: { quantity },
    }),
  );
  setCartCount(count(view));
  return view;
}
