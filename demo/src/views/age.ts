// Age verification for the signed-in shopper. A real shop sends the
// shopper to an ID-check provider, which reports back to the shop's back
// office; the demo's stand-in records the check with the key config.json
// names `age_checker` (`POST /v1/customers/{id}/age-verification`).

import { ok, type Schemas } from "../api";
import { h, replace } from "../dom";
import { busy, problemBox } from "../layout";
import { apiFor, demo, type Session } from "../state";

export type Me = Schemas["Me"];

/** The verification in force, if any. */
export function verified(me: Me): Schemas["AgeVerificationView"] | null {
  const v = me.age_verification;
  return v && !v.revoked_at ? v : null;
}

/** The panel: verified, or a form that verifies (then calls `done`). */
export function agePanel(me: Me, who: Session, minimumAge: number, done: () => void): HTMLElement {
  const v = verified(me);
  if (v) {
    return h(
      "div",
      { class: "age ok", id: "age-status" },
      h("strong", {}, "Age verified"),
      ` · born ${v.date_of_birth}, checked by ${v.method.replaceAll("_", " ")}`,
    );
  }
  const checker = demo().age_checker;
  if (!checker) {
    return h(
      "div",
      { class: "age", id: "age-status" },
      h("strong", {}, "Your age has not been verified."),
      h("p", {}, `This shop verifies ages (${minimumAge}+) itself; contact it before checking out.`),
    );
  }
  const status = h("div", {});
  const born = h("input", { type: "date", id: "date-of-birth", required: true, value: me.date_of_birth ?? "" });
  const form = h(
    "form",
    {
      class: "age",
      id: "age-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const button = form.querySelector("button");
        if (button) button.disabled = true;
        busy();
        try {
          await ok(
            apiFor(checker.key).POST("/v1/customers/{customer_id}/age-verification", {
              params: { path: { customer_id: who.customerId } },
              body: {
                date_of_birth: born.value,
                method: "id_document",
                reference: `SANDBOX-${crypto.randomUUID().slice(0, 8).toUpperCase()}`,
              },
            }),
          );
          done();
        } catch (error) {
          replace(status, problemBox(error));
          if (button) button.disabled = false;
          busy(false);
        }
      },
    },
    h("strong", {}, `Verify your age (${minimumAge}+)`),
    h(
      "p",
      {},
      `Your cart has age-restricted items. ${checker.name} checks your ID and records your date of birth with the shop.`,
    ),
    h("label", {}, "Date of birth ", born),
    h("button", { type: "submit", id: "verify-age" }, `Verify with ${checker.name}`),
    status,
  );
  return form;
}
