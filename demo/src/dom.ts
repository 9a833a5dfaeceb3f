// A few lines of DOM building: `h("p", { class: "x" }, "text", child)`.

type Child = Node | string | number | null | undefined | false;
/** What may be put into an element: nodes, text, nothing, or lists of them. */
export type Children = Child | Children[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** An element with attributes (`on<event>` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

/** Appends children, skipping the empty ones. */
export function append(el: Element, ...children: Children[]): void {
  for (const child of children.flat(Infinity as 1) as Child[]) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Children[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/**
 * A search snippet (`<b>` around matches, everything else escaped by the
 * server) as nodes: only text and `<b>` survive, whatever the string holds.
 */
export function snippet(html: string): Node {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html").body;
  const out = document.createDocumentFragment();
  for (const node of Array.from(parsed.firstChild?.childNodes ?? [])) {
    if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === "B") {
      out.append(h("mark", {}, node.textContent ?? ""));
    } else {
      out.append(node.textContent ?? "");
    }
  }
  return out;
}
