/** The start form: reads a sweep request from the controls and shows the API's errors beside them. */

import { logspace } from "../src/logspace";
import type { SweepRequest } from "../src/sweep-config";

const NUMBER_FIELDS = ["epochs", "seed", "repeats", "trainSize", "testSize", "batchSize", "learningRate"] as const;

function control(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
}

/** The request the form describes; empty fields are left to the server's defaults. */
export function readRequest(form: HTMLFormElement): SweepRequest {
  const request: Record<string, unknown> = {};
  const from = Number(control(form, "scaleFrom")?.value);
  const to = Number(control(form, "scaleTo")?.value);
  const count = Number(control(form, "scaleCount")?.value);
  // Left out when the book's range, so that the server's exact default is used.
  if (!(from === 0 && to === -4 && count === 16)) request.weightScales = count >= 1 ? logspace(from, to, count) : [];
  for (const name of NUMBER_FIELDS) {
    const raw = control(form, name)?.value.trim() ?? "";
    if (raw !== "") request[name] = Number(raw);
  }
  const hidden = control(form, "hiddenSizes")?.value.trim() ?? "";
  if (hidden !== "") request.hiddenSizes = hidden.split(",").map((h) => Number(h.trim()));
  request.activation = control(form, "activation")?.value;
  request.optimizer = control(form, "optimizer")?.value;
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
      input.closest("label")?.append(note);
    }
    note.textContent = message;
    input.focus();
    return;
  }
  const target =
    form.querySelector<HTMLElement>(`[data-error-for="${name}"]`) ?? form.querySelector<HTMLElement>('[data-error-for="body"]');
  if (target) target.textContent = message;
}
