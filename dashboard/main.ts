/** The dashboard: start a sweep, watch its experiments, see the figure fill in, browse past sweeps. */

import type { SweepRequest } from "../src/sweep-config";
import { FINAL_SWEEP_STATUSES, type SweepSummary, type SweepView } from "../src/sweep-view";
import { clearErrors, readRequest, showError } from "./form";

const POLL_MS = 1000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("sweep-form");
let current: string | null = null;
let timer: number | undefined;

/** A request to the API, with the token when one is entered. */
function api(path: string, init: RequestInit = {}): Promise<Response> {
  const token = (form.elements.namedItem("token") as HTMLInputElement).value;
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(`/api${path}`, { ...init, headers });
}

function renderProgress(view: SweepView): void {
  const list = $("progress");
  list.replaceChildren(
    ...view.experiments.map((e) => {
      const li = document.createElement("li");
      li.dataset.index = String(e.index);
      li.className = e.status;
      const label = document.createElement("label");
      const bar = document.createElement("progress");
      bar.max = view.config.epochs;
      bar.value = e.epochsDone;
      const scale = Number(e.weightScale.toPrecision(3));
      label.append(
        `W ${scale}${view.config.repeats > 1 ? ` (seed ${e.seed})` : ""}: ${e.epochsDone}/${view.config.epochs} ${e.status}`,
        bar,
      );
      if (e.error) label.append(` ${e.error}`);
      li.append(label);
      return li;
    }),
  );
}

async function renderFigure(id: string): Promise<void> {
  const test = $<HTMLInputElement>("show-test").checked ? "1" : "0";
  const res = await api(`/sweeps/${id}/plot.svg?test=${test}`);
  if (res.ok) $("figure").innerHTML = await res.text();
}

async function refresh(): Promise<void> {
  if (!current) return;
  const id = current;
  const res = await api(`/sweeps/${id}`);
  if (!res.ok) return;
  const view = (await res.json()) as SweepView;
  $("current-status").textContent = view.status;
  renderProgress(view);
  await renderFigure(id);
  const final = FINAL_SWEEP_STATUSES.includes(view.status);
  $<HTMLButtonElement>("cancel").hidden = final;
  if (final) {
    $("current").dataset.final = "true";
    await refreshList();
  } else {
    timer = window.setTimeout(refresh, POLL_MS);
  }
}

function watch(id: string): void {
  window.clearTimeout(timer);
  current = id;
  const base = `/api/sweeps/${id}`;
  $("current").hidden = false;
  delete $("current").dataset.final;
  $("current-id").textContent = id;
  $<HTMLAnchorElement>("link-json").href = base;
  $<HTMLAnchorElement>("link-csv").href = `${base}/results.csv`;
  $<HTMLAnchorElement>("link-svg").href = `${base}/plot.svg`;
  $("figure").replaceChildren();
  history.replaceState(null, "", `#${id}`);
  void refresh();
}

async function refreshList(): Promise<void> {
  const res = await api("/sweeps");
  if (!res.ok) return;
  const { sweeps } = (await res.json()) as { sweeps: SweepSummary[] };
  $("sweeps").replaceChildren(
    ...sweeps.map((s) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `#${s.id}`;
      a.textContent = s.id.slice(0, 8);
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        watch(s.id);
      });
      li.append(a, ` ${s.status}, ${s.experiments} experiments, ${new Date(s.createdAt).toLocaleString()}`);
      return li;
    }),
  );
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearErrors(form);
  const button = $<HTMLButtonElement>("start");
  button.disabled = true;
  try {
    const request: SweepRequest = readRequest(form);
    const res = await api("/sweeps", {
      method: "POST",
      body: JSON.stringify(request),
      headers: { "Content-Type": "application/json" },
    });
    if (res.status === 202) {
      watch(((await res.json()) as { id: string }).id);
      await refreshList();
    } else {
      const body = (await res.json()) as { error: { message: string; field?: string } };
      showError(form, body.error.field, body.error.message);
    }
  } catch (e) {
    showError(form, "body", `cannot reach the server: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  if (current) await api(`/sweeps/${current}`, { method: "DELETE" });
  void refresh();
});
$("show-test").addEventListener("change", () => current && renderFigure(current));

void refreshList();
if (location.hash.length > 1) watch(location.hash.slice(1));
