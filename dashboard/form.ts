/** The start form: reads a sweep request from the controls and shows the API's errors beside them. */

import { logspace } from "../src/numpy/logspace";
import { type FieldName, type FieldRule, SWEEP_FIELDS, type SweepRequest } from "../src/sweep";

/** Fields with a control of their own: all but the weight scales (asked as a range) and the grid (its own editor). */
const FORM_FIELDS = (Object.keys(SWEEP_FIELDS) as FieldName[]).filter((n) => n !== "weightScales" && n !== "grid");

function control(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
}

/** The control of one field, with the limits of its rule. */
function fieldControl(name: FieldName, rule: FieldRule, value: unknown): HTMLInputElement | HTMLSelectElement {
  if (rule.kind === "grid") throw new Error("the grid has its own editor");
  if (rule.kind === "choice") {
    const select = document.createElement("select");
    select.replaceChildren(...rule.choices.map((c) => new Option(c, c, c === value, c === value)));
    select.name = name;
    return select;
  }
  const input = document.createElement("input");
  input.name = name;
  if (rule.kind === "list") {
    input.type = "text";
    input.inputMode = "numeric";
    input.value = Array.isArray(value) ? value.join(",") : "";
    return input;
  }
  input.type = "number";
  input.step = rule.kind === "integer" ? "1" : "any";
  input.min = String(rule.min);
  if (rule.max !== undefined) input.max = String(rule.max);
  if (value === undefined) input.placeholder = "random";
  else input.value = String(value);
  return input;
}

/** Fills the form's field grid from the request fields: label, control, limits, default, help. */
export function renderFields(form: HTMLFormElement): void {
  const grid = form.querySelector<HTMLElement>("[data-fields]");
  if (!grid) return;
  grid.replaceChildren(
    ...FORM_FIELDS.map((name) => {
      const spec = SWEEP_FIELDS[name];
      const label = document.createElement("label");
      label.title = spec.help;
      label.replaceChildren(`${spec.label} `, fieldControl(name, spec.rule, spec.default));
      return label;
    }),
  );
}

/** The request the form describes; empty fields are left to the server's defaults. */
export function readRequest(form: HTMLFormElement): SweepRequest {
  const request: Record<string, unknown> = {};
  const from = Number(control(form, "scaleFrom")?.value);
  const to = Number(control(form, "scaleTo")?.value);
  const count = Number(control(form, "scaleCount")?.value);
  // Left out when the book's range, so that the server's exact default is used.
  if (!(from === 0 && to === -4 && count === 16)) request.weightScales = count >= 1 ? logspace(from, to, count) : [];
  for (const name of FORM_FIELDS) {
    const { rule } = SWEEP_FIELDS[name];
    const raw = control(form, name)?.value.trim() ?? "";
    if (raw === "") continue;
    if (rule.kind === "choice") request[name] = raw;
    else if (rule.kind === "list") request[name] = raw.split(",").map((h) => Number(h.trim()));
    else request[name] = Number(raw);
  }
  return request as SweepRequest;
}

/** Clears every error message and mark. */
export function clearErrors(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll<HTMLElement>("[data-error-for]")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** Shows an API error next to the control of its field (`hiddenSizes[2]` → hidden sizes). */
export function showError(form: HTMLFormElement, field: string | undefined, message: string): void {
  const name = (field ?? "body").replace(/\[\d+\]$/, "");
  const input = control(form, name);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    let note = form.querySelector<HTMLElement>(`[data-error-for="${name}"]`);
    if (!note) {
      note = document.createElement("span");
      note.className = "error";
      note.dataset.errorFor = name;
      note.setAttribute("role", "alert");
      input.closest("label")?.appendChild(note);
    }
    note.textContent = message;
    input.focus();
    return;
  }
  const target =
    form.querySelector<HTMLElement>(`[data-error-for="${name}"]`) ?? form.querySelector<HTMLElement>('[data-error-for="body"]');
  if (target) target.textContent = message;
}
