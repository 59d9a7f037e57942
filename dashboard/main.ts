/** The dashboard: start a sweep, watch it live, see its figures fill in, cancel or retry, compare past sweeps. */

import { hc } from "hono/client";
import { combinationTitle, gridCombinations, isFinalSweep, SweepConfigError, type SweepView, scaleTitle } from "../src/sweep";
import type { ApiErrorBody } from "../workers/api-error";
import type { AppType } from "../workers/app";
import type { LiveMessage } from "../workers/sweep-coordinator";
import { addGridRow, clearErrors, readRequest, renderFields, showError } from "./form";

const POLL_MS = 1000;
/** Figures are fetched again at most this often while a sweep runs. */
const FIGURE_MS = 1500;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("sweep-form");
let current: { id: string; view?: SweepView; socket?: WebSocket; timer?: number; figuresAt: number; finished?: boolean } | null =
  null;
/** Counts figure fetches: only the newest may draw, or a slow fetch made while running could replace the final figures. */
let figureFetches = 0;

/** The typed API client, with the token when one is entered. */
function client() {
  const token = (form.elements.namedItem("token") as HTMLInputElement).value;
  return hc<AppType>(location.origin, token ? { headers: { Authorization: `Bearer ${token}` } } : {}).api.sweeps;
}

function renderProgress(view: SweepView): void {
  const combinations = gridCombinations(view.config.grid ?? {});
  $("progress").replaceChildren(
    ...view.experiments.map((e) => {
      const li = document.createElement("li");
      li.dataset.index = String(e.index);
      li.className = e.status;
      const label = document.createElement("label");
      const bar = document.createElement("progress");
      bar.max = view.config.epochs;
      bar.value = e.epochsDone;
      const grid = combinations.length > 1 ? ` [${combinationTitle(combinations[e.combination ?? 0])}]` : "";
      const seed = view.config.repeats > 1 ? ` (seed ${e.seed})` : "";
      // replaceChildren, not append: the Workers types (for the typed client) declare their own Element.append.
      label.replaceChildren(`${scaleTitle(e.weightScale)}${grid}${seed}: ${e.epochsDone}/${view.config.epochs} ${e.status}`, bar);
      li.replaceChildren(label);
      if (e.error) li.appendChild(document.createTextNode(` ${e.error}`));
      if (e.status === "failed") {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.textContent = "Retry";
        retry.addEventListener("click", () => void retryExperiment(view.id, e.index));
        li.appendChild(retry);
      }
      return li;
    }),
  );
}

function renderSettings(view: SweepView): void {
  const rows = Object.entries(view.config).flatMap(([field, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = field;
    const dd = document.createElement("dd");
    dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    return [dt, dd];
  });
  $("settings").replaceChildren(...rows);
}

function renderTiming(view: SweepView): void {
  const end = view.completedAt ? Date.parse(view.completedAt) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(view.createdAt)) / 1000));
  $("timing").textContent = `${view.completedAt ? "took" : "running for"} ${seconds} s · ${view.experiments.length} experiments`;
}

async function renderFigures(id: string): Promise<void> {
  const mine = ++figureFetches;
  const plot = client()[":id"]["plot.svg"].$url({ param: { id } });
  if ($<HTMLInputElement>("show-test").checked) plot.searchParams.set("test", "1");
  const summary = client()[":id"]["summary.svg"].$url({ param: { id } });
  const [p, s] = await Promise.all([fetch(plot), fetch(summary)]);
  const [plotSvg, summarySvg] = await Promise.all([p.ok ? p.text() : null, s.ok ? s.text() : null]);
  if (mine !== figureFetches || current?.id !== id) return;
  if (plotSvg !== null) $("figure").innerHTML = plotSvg;
  if (summarySvg !== null) $("summary").innerHTML = summarySvg;
}

/** Draws the final figures and the list, then marks the view final (what scripts and tests wait for). */
async function finish(id: string): Promise<void> {
  await Promise.allSettled([renderFigures(id), refreshList()]);
  if (current?.id === id) $("current").dataset.final = "true";
}

/** Shows the view; figures at most every FIGURE_MS while running, and once more at the end. */
function render(view: SweepView): void {
  if (!current || current.id !== view.id) return;
  current.view = view;
  $("current-status").textContent = view.status;
  renderProgress(view);
  renderSettings(view);
  renderTiming(view);
  const final = isFinalSweep(view.status);
  $<HTMLButtonElement>("cancel").hidden = final;
  if (final) {
    // The socket's final message and a poll can both bring the end; draw it once.
    if (!current.finished) void finish(view.id);
    current.finished = true;
    return;
  }
  if (Date.now() - current.figuresAt > FIGURE_MS) {
    current.figuresAt = Date.now();
    void renderFigures(view.id);
  }
}

/** Applies a live message to the view on screen. */
function onLive(message: LiveMessage): void {
  if (!current) return;
  if (message.type !== "progress") {
    render(message.view);
    return;
  }
  const view = current.view;
  if (!view) return;
  const experiments = message.experiment
    ? view.experiments.map((e) => (e.index === message.experiment?.index ? message.experiment : e))
    : view.experiments;
  render({ ...view, status: message.status, experiments });
}

async function poll(): Promise<void> {
  if (!current) return;
  const { id } = current;
  const res = await client()[":id"].$get({ param: { id } });
  if (res.ok) render(await res.json());
  if (current?.id === id && !isFinalSweep(current.view?.status ?? "running")) current.timer = window.setTimeout(poll, POLL_MS);
}

/** Watches a sweep over its live socket, falling back to polling when the socket fails. */
function watch(id: string): void {
  if (current) {
    window.clearTimeout(current.timer);
    current.socket?.close();
  }
  current = { id, figuresAt: 0 };
  const links = { self: `/api/sweeps/${id}`, csv: `/api/sweeps/${id}/results.csv`, plot: `/api/sweeps/${id}/plot.svg` };
  $("current").hidden = false;
  delete $("current").dataset.final;
  $("current-id").textContent = id;
  $<HTMLAnchorElement>("link-json").href = links.self;
  $<HTMLAnchorElement>("link-csv").href = links.csv;
  $<HTMLAnchorElement>("link-svg").href = links.plot;
  $<HTMLAnchorElement>("link-summary").href = `/api/sweeps/${id}/summary.svg`;
  $("figure").replaceChildren();
  $("summary").replaceChildren();
  history.replaceState(null, "", `#${id}`);
  const url = client()[":id"].live.$url({ param: { id } });
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url);
  current.socket = socket;
  let ended = false;
  socket.addEventListener("message", (ev) => {
    const message = JSON.parse(String(ev.data)) as LiveMessage;
    if (message.type === "final") ended = true;
    onLive(message);
  });
  socket.addEventListener("close", () => {
    if (!ended && current?.id === id) void poll();
  });
}

async function retryExperiment(id: string, index: number): Promise<void> {
  const res = await client()[":id"].experiments[":index"].retry.$post({ param: { id, index: String(index) } });
  if (!res.ok) {
    const { error } = (await res.json()) as unknown as ApiErrorBody;
    $("timing").textContent = error.message;
    return;
  }
  watch(id);
}

async function refreshList(): Promise<void> {
  const res = await client().$get({ query: {} });
  if (!res.ok) return;
  const { sweeps } = await res.json();
  $("sweeps").replaceChildren(
    ...sweeps.map((s) => {
      const li = document.createElement("li");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.value = s.id;
      check.setAttribute("aria-label", `compare sweep ${s.id.slice(0, 8)}`);
      const a = document.createElement("a");
      a.href = `#${s.id}`;
      a.textContent = s.id.slice(0, 8);
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        watch(s.id);
      });
      li.replaceChildren(check, a, ` ${s.status}, ${s.experiments} experiments, ${new Date(s.createdAt).toLocaleString()}`);
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
    const res = await client().$post({ json: readRequest(form), query: {} });
    const body = await res.json();
    if ("id" in body) {
      watch(body.id);
      await refreshList();
    } else {
      const { error } = body as unknown as ApiErrorBody;
      showError(form, error.field, error.message);
    }
  } catch (e) {
    if (e instanceof SweepConfigError) showError(form, e.field, e.message);
    else showError(form, "body", `cannot reach the server: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  if (current) await client()[":id"].$delete({ param: { id: current.id } });
});
$("show-test").addEventListener("change", () => current && renderFigures(current.id));
$("grid-add").addEventListener("click", () => addGridRow(form));
$("compare").addEventListener("click", async () => {
  const ids = [...document.querySelectorAll<HTMLInputElement>("#sweeps input:checked")].map((c) => c.value).slice(0, 4);
  if (ids.length === 0) return;
  const url = hc<AppType>(location.origin).api["compare.svg"].$url();
  url.searchParams.set("ids", ids.join(","));
  const res = await fetch(url);
  $("comparison").innerHTML = res.ok ? await res.text() : "";
});

renderFields(form);
void refreshList();
if (location.hash.length > 1) watch(location.hash.slice(1));
