/** The start form: reads a sweep request from the controls and shows the API's errors beside them. */

import { BOOK_SCALE_RANGE } from "../src/experiment/config";
import { STUDY_DEFAULTS, type Study } from "../src/experiment/study";
import { logspace } from "../src/numpy/logspace";
import { type FieldName, type FieldRule, GRID_FIELDS, MAX_EXPERIMENTS, SWEEP_FIELDS, type SweepRequest } from "../src/sweep";
import { parseFieldText, parseGridText } from "../src/sweep/field-text";
import { STUDY_FIELDS } from "../src/sweep/fields";
import { BOOK_SEARCH_SPACE } from "../src/sweep/search";

/**
 * Fields with a control of their own: all but the weight scales (asked as a range), the grid (its
 * own editor) and a search's space (the API's and the CLI's; the form runs §6.5's search with its
 * trials, and its halving as JSON).
 */
const FORM_FIELDS = (Object.keys(SWEEP_FIELDS) as FieldName[]).filter(
  (n) => n !== "weightScales" && n !== "grid" && n !== "search",
);

function control(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
}

/** The control of one field, with the limits of its rule. */
function fieldControl(name: FieldName, rule: FieldRule, value: unknown): HTMLInputElement | HTMLSelectElement {
  if (rule.kind === "grid" || rule.kind === "search") throw new Error(`${name} has no control of its own`);
  if (rule.kind === "halving") {
    const input = document.createElement("input");
    input.name = name;
    input.type = "text";
    input.placeholder = '{"rungs":[5,15],"keep":0.34}';
    return input;
  }
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
  // An exclusive minimum has no HTML form; the API states the rule.
  if (!(rule.kind === "number" && rule.minExclusive)) input.min = String(rule.min);
  if (rule.max !== undefined) input.max = String(rule.max);
  if (value === undefined) input.placeholder = "random";
  else input.value = String(value);
  return input;
}

/** Fills the form's field grid from the request fields: label, control, limits, default, help. */
export function renderFields(form: HTMLFormElement): void {
  const range = { scaleFrom: BOOK_SCALE_RANGE.from, scaleTo: BOOK_SCALE_RANGE.to, scaleCount: BOOK_SCALE_RANGE.count };
  for (const [name, value] of Object.entries(range)) {
    const input = control(form, name);
    if (input) input.value = String(value);
  }
  control(form, "scaleCount")?.setAttribute("max", String(MAX_EXPERIMENTS));
  const grid = form.querySelector<HTMLElement>("[data-fields]");
  if (!grid) return;
  grid.replaceChildren(
    ...FORM_FIELDS.map((name) => {
      const spec = SWEEP_FIELDS[name];
      const label = document.createElement("label");
      label.title = spec.help;
      label.dataset.field = name;
      label.replaceChildren(`${spec.label} `, fieldControl(name, spec.rule, spec.default));
      return label;
    }),
  );
  control(form, "study")?.addEventListener("change", () => showStudy(form));
  showStudy(form);
}

/** The study the form has picked. */
function pickedStudy(form: HTMLFormElement): Study {
  return (control(form, "study")?.value ?? "batchNorm") as Study;
}

/**
 * The fields the form asks for `study`: the study's own, but those §6.5's search draws in that
 * study (the form has no search space of its own, and a drawn field is not also given), and
 * halving only where there is a search to halve (§6.5's).
 */
function formUses(study: Study): readonly string[] {
  const drawn = study === "randomSearch" ? Object.keys(BOOK_SEARCH_SPACE) : [];
  return STUDY_FIELDS[study].filter((f) => !drawn.includes(f) && (f !== "halving" || study === "randomSearch"));
}

/** Shows the controls the picked study uses, filled with its script's settings; hides the others. */
function showStudy(form: HTMLFormElement): void {
  const study = pickedStudy(form);
  const uses = formUses(study);
  const defaults: Record<string, unknown> = STUDY_DEFAULTS[study];
  for (const name of FORM_FIELDS) {
    const input = control(form, name);
    const label = input?.closest<HTMLElement>("label[data-field]");
    if (!input || !label || name === "study") continue;
    label.hidden = !uses.includes(name);
    const value = defaults[name] ?? SWEEP_FIELDS[name].default;
    if (value === null) input.value = "";
    else if (value !== undefined) input.value = Array.isArray(value) ? value.join(",") : String(value);
  }
  const scales = control(form, "scaleFrom")?.closest<HTMLElement>("fieldset");
  if (scales) scales.hidden = !uses.includes("weightScales");
}

/** Adds a row to the grid editor: a field and its values (`0.01,0.05`; list values split by `/`). */
export function addGridRow(form: HTMLFormElement): void {
  const rows = form.querySelector<HTMLElement>("#grid-rows");
  if (!rows) return;
  const row = document.createElement("div");
  row.className = "grid-row";
  const field = document.createElement("select");
  field.name = "gridField";
  field.replaceChildren(...GRID_FIELDS.map((f) => new Option(SWEEP_FIELDS[f].label, f)));
  const values = document.createElement("input");
  values.name = "gridValues";
  values.placeholder = "0.01,0.05  or  100,100/200,200";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Remove";
  remove.addEventListener("click", () => row.remove());
  const fieldLabel = document.createElement("label");
  fieldLabel.replaceChildren("grid field ", field);
  const valuesLabel = document.createElement("label");
  valuesLabel.replaceChildren("values ", values);
  row.replaceChildren(fieldLabel, valuesLabel, remove);
  rows.appendChild(row);
}

/** The grid the editor describes: each row's values parsed by its field's kind. */
function readGrid(form: HTMLFormElement): Record<string, unknown[]> | undefined {
  const grid: Record<string, unknown[]> = {};
  for (const row of form.querySelectorAll<HTMLElement>(".grid-row")) {
    const field = (row.querySelector("select") as HTMLSelectElement | null)?.value ?? "";
    const text = (row.querySelector("input") as HTMLInputElement | null)?.value.trim() ?? "";
    if (text !== "") grid[field] = parseGridText(field, text);
  }
  return Object.keys(grid).length > 0 ? grid : undefined;
}

/**
 * The request the form describes; empty fields are left to the server's defaults. Throws a
 * SweepConfigError for text that is no value at all (the API checks the rules).
 */
export function readRequest(form: HTMLFormElement): SweepRequest {
  const request: Record<string, unknown> = {};
  const from = Number(control(form, "scaleFrom")?.value);
  const to = Number(control(form, "scaleTo")?.value);
  const count = Number(control(form, "scaleCount")?.value);
  const book = BOOK_SCALE_RANGE;
  const uses = formUses(pickedStudy(form));
  // Left out when the book's range, so that the server's exact default is used.
  if (uses.includes("weightScales") && !(from === book.from && to === book.to && count === book.count)) {
    request.weightScales = count >= 1 ? logspace(from, to, count) : [];
  }
  for (const name of FORM_FIELDS) {
    if (!uses.includes(name)) continue; // a field the study does not use is refused
    const raw = control(form, name)?.value.trim() ?? "";
    if (raw !== "") request[name] = parseFieldText(name, raw);
  }
  const grid = readGrid(form);
  if (grid) request.grid = grid;
  // The API validates every field; the form only turned text into values.
  return request as SweepRequest;
}

/** Clears every error message and mark. */
export function clearErrors(form: HTMLFormElement): void {
  for (const el of form.querySelectorAll<HTMLElement>("[data-error-for]")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** Shows an API error next to the control of its field (`hiddenSizes[2]` → hidden sizes). */
export function showError(form: HTMLFormElement, field: string | undefined, message: string): void {
  const name = (field ?? "body").replace(/^(grid|halving)\..*$/, "$1").replace(/\[\d+\]$/, "");
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
