// Hash routes: `#/product/blue-dream?variant=...` is the route
// `["product", "blue-dream"]` with its query.

export interface Route {
  parts: string[];
  query: URLSearchParams;
}

export function current(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", search = ""] = hash.split("?", 2);
  return {
    parts: path.split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

/** The hash for a path and query, e.g. `href("/shop", { category: "flower" })`. */
export function href(path: string, query?: URLSearchParams | Record<string, string>): string {
  const q = query instanceof URLSearchParams ? query : new URLSearchParams(query);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ""}`;
}

export function go(path: string, query?: URLSearchParams | Record<string, string>): void {
  location.hash = href(path, query);
}

/** Changes the address without a new history entry or a re-render. */
export function replaceQuietly(path: string, query?: URLSearchParams | Record<string, string>): void {
  history.replaceState(null, "", href(path, query));
}
