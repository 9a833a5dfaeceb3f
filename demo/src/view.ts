// What a view gets: its route and a way to show its content that does
// nothing once the user has moved on to another page.

import type { Children } from "./dom";
import type { Route } from "./router";

export interface Ctx {
  route: Route;
  /** Replaces the main area, unless another page has been asked for since. */
  show(...nodes: Children[]): void;
  /** Whether this page is still the one on screen. */
  live(): boolean;
  /** Renders this page again in place (after a change it made). */
  again(): Promise<void>;
}

export type View = (ctx: Ctx) => Promise<void>;
