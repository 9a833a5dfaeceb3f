// How amounts, times, ids and statuses read on the page.

/** A decimal amount in a currency, e.g. `$38.00`. */
export function money(amount: string, currency: string): string {
  const value = Number(amount);
  if (!Number.isFinite(value)) return `${amount} ${currency}`;
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(value);
}

/** Whether a decimal amount is zero. */
export function isZero(amount: string): boolean {
  return Number(amount) === 0;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** A date-time format, in a region's time zone when given (else the browser's). */
function format(kind: "day" | "time", timeZone?: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone ?? ""}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(
      "en-US",
      kind === "day"
        ? { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone }
        : { hour: "numeric", minute: "2-digit", timeZone, timeZoneName: timeZone ? "short" : undefined },
    );
    formats.set(key, f);
  }
  return f;
}

/** A moment such as `Wed, Dec 2, 3:57 PM`. */
export function when(iso: string, timeZone?: string): string {
  return format("day", timeZone).format(new Date(iso));
}

/** A window such as `Wed, Dec 2, 8:00 AM – 10:00 PM PST`, in the region's time zone. */
export function deliveryWindow(starts: string, ends: string, timeZone?: string): string {
  const a = new Date(starts);
  const b = new Date(ends);
  const day = (d: Date): string => d.toLocaleDateString("en-US", { timeZone });
  if (day(a) === day(b)) return `${when(starts, timeZone)} – ${format("time", timeZone).format(b)}`;
  const zone = timeZone
    ? (format("time", timeZone).formatToParts(b).find((p) => p.type === "timeZoneName")?.value ?? "")
    : "";
  return `${when(starts, timeZone)} – ${when(ends, timeZone)}${zone ? ` ${zone}` : ""}`;
}

/**
 * How people quote an order: the end of its id (the start of a UUIDv7 is
 * its timestamp, the same for orders placed together).
 */
export function shortId(id: string): string {
  return id.replaceAll("-", "").slice(-8).toUpperCase();
}

/** `payment_failed` as `payment failed`. */
export function words(code: string): string {
  return code.replaceAll("_", " ");
}
