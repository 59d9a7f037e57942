/** The dashboard: start a sweep, watch it live, see its figures fill in, cancel or retry, compare past sweeps. */

import { hc } from "hono/client";
import { studyPoints } from "../src/experiment/study";
import {
  applyProgress,
  combinationTitle,
  isFinalSweep,
  type LiveMessage,
  liveUrl,
  MAX_COMPARED,
  SweepConfigError,
  type SweepView,
  scaleTitle,
  statusText,
  sweepLinks,
} from "../src/sweep";
import type { ApiErrorBody } from "../workers/api-error";
import type { AppType } from "../workers/app";
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

/** Where the token is kept for this tab only (never in a URL or across tabs). */
const TOKEN_KEY = "bn-sweep-token";

function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

/** Headers of every API request: the token when one is entered; JSON, which the open local server asks of a POST. */
function headers(): Record<string, string> {
  const t = token();
  return { "Content-Type": "application/json", ...(t ? { Authorization: `Bearer ${t}` } : {}) };
}

/** The typed API client. */
function api() {
  return hc<AppType>(location.origin, { headers }).api;
}

function client() {
  return api().sweeps;
}

/** A GET with the token (figures, downloads). */
function get(url: URL | string): Promise<Response> {
  return fetch(url, { headers: headers() });
}

/** The server asked for a token: show the field, and say so. */
function askForToken(): void {
  const box = $("token-box");
  box.hidden = false;
  $("token-note").textContent = "This server needs its token (SWEEP_TOKEN). It is kept for this tab only.";
  $<HTMLInputElement>("token").focus();
}

/** An API answer; a 401 asks for the token once. */
function checked<R extends { status: number }>(res: R): R {
  if (res.status === 401) askForToken();
  return res;
}

function renderProgress(view: SweepView): void {
  $("progress").replaceChildren(
    ...view.experiments.map((e) => {
      const li = document.createElement("li");
      li.dataset.index = String(e.index);
      li.className = e.status;
      const label = document.createElement("label");
      const bar = document.createElement("progress");
      bar.max = studyPoints(view.config);
      bar.value = e.epochsDone;
      const grid = e.grid && Object.keys(e.grid).length > 0 ? ` [${combinationTitle(e.grid)}]` : "";
      const seed = view.config.repeats > 1 ? ` (seed ${e.seed})` : "";
      // replaceChildren, not append: the Workers types (for the typed client) declare their own Element.append.
      label.replaceChildren(
        `${scaleTitle(e.weightScale, view.config.study)}${grid}${seed}: ${e.epochsDone}/${bar.max} ${statusText(e)}`,
        bar,
      );
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
  const [p, s] = await Promise.all([get(plot), get(summary)]);
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
  $<HTMLButtonElement>("purge").hidden = !final;
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

/** Applies a live message to the view on screen; at the end, fetches the final view once. */
function onLive(message: LiveMessage): void {
  if (!current) return;
  if (message.type === "view") render(message.view);
  else if (message.type === "final") void poll();
  else if (current.view) render(applyProgress(current.view, message));
}

async function poll(): Promise<void> {
  if (!current) return;
  const { id } = current;
  const res = checked(await client()[":id"].$get({ param: { id } }));
  if (res.ok) render(await res.json());
  if (current?.id === id && !isFinalSweep(current.view?.status ?? "running")) current.timer = window.setTimeout(poll, POLL_MS);
}

/** Watches a sweep over its live socket (with a ticket where the server needs one), falling back to polling when the socket fails. */
async function watch(id: string): Promise<void> {
  if (current) {
    window.clearTimeout(current.timer);
    current.socket?.close();
  }
  current = { id, figuresAt: 0 };
  $("current").hidden = false;
  delete $("current").dataset.final;
  $("current-id").textContent = id;
  const links = sweepLinks(id);
  $<HTMLAnchorElement>("link-json").href = links.self;
  $<HTMLAnchorElement>("link-csv").href = links.csv;
  $<HTMLAnchorElement>("link-svg").href = links.plot;
  $<HTMLAnchorElement>("link-summary").href = links.summary;
  $("figure").replaceChildren();
  $("summary").replaceChildren();
  history.replaceState(null, "", `#${id}`);
  const res = checked(await client()[":id"].ticket.$get({ param: { id } }));
  if (current?.id !== id) return;
  if (!res.ok) return void poll();
  const { ticket } = await res.json();
  const socket = new WebSocket(liveUrl(location.origin, id, ticket));
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

/** The links' downloads go through fetch, so that they carry the token. */
function download(kind: "self" | "csv" | "plot" | "summary"): void {
  if (!current) return;
  void get(sweepLinks(current.id)[kind]).then(async (res) => {
    if (!checked(res).ok) return;
    const url = URL.createObjectURL(await res.blob());
    window.open(url, "_blank");
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}

async function retryExperiment(id: string, index: number): Promise<void> {
  const res = checked(await client()[":id"].experiments[":index"].retry.$post({ param: { id, index: String(index) } }));
  if (!res.ok) {
    const { error } = (await res.json()) as unknown as ApiErrorBody;
    $("timing").textContent = error.message;
    return;
  }
  void watch(id);
}

async function refreshList(): Promise<void> {
  const res = checked(await client().$get({ query: {} }));
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
        void watch(s.id);
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
    const res = checked(await client().$post({ json: readRequest(form), query: {} }));
    const body = (await res.json()) as { id: string } | ApiErrorBody;
    if ("id" in body) {
      void watch(body.id);
      await refreshList();
    } else showError(form, body.error.field, body.error.message);
  } catch (e) {
    if (e instanceof SweepConfigError) showError(form, e.field, e.message);
    else showError(form, "body", `cannot reach the server: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  if (current) checked(await client()[":id"].$delete({ param: { id: current.id }, query: {} }));
});
$("purge").addEventListener("click", async () => {
  if (!current || !confirm(`Delete sweep ${current.id.slice(0, 8)} everywhere, its results too? This cannot be undone.`)) return;
  const id = current.id;
  const res = checked(await client()[":id"].$delete({ param: { id }, query: { purge: "1" } }));
  if (!res.ok) {
    $("timing").textContent = ((await res.json()) as unknown as ApiErrorBody).error.message;
    return;
  }
  current.socket?.close();
  current = null;
  $("current").hidden = true;
  history.replaceState(null, "", location.pathname);
  await refreshList();
});
for (const [link, kind] of [
  ["link-json", "self"],
  ["link-csv", "csv"],
  ["link-svg", "plot"],
  ["link-summary", "summary"],
] as const) {
  $(link).addEventListener("click", (ev) => {
    ev.preventDefault();
    download(kind);
  });
}
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $<HTMLInputElement>("token").value);
  $("token-note").textContent = "Token kept for this tab.";
  void refreshList();
  if (current) void watch(current.id);
});
$("show-test").addEventListener("change", () => current && renderFigures(current.id));
$("grid-add").addEventListener("click", () => addGridRow(form));
$("compare").addEventListener("click", async () => {
  const ids = [...document.querySelectorAll<HTMLInputElement>("#sweeps input:checked")]
    .map((c) => c.value)
    .slice(0, MAX_COMPARED);
  if (ids.length === 0) return;
  const url = api()["compare.svg"].$url();
  url.searchParams.set("ids", ids.join(","));
  const res = checked(await get(url));
  $("comparison").innerHTML = res.ok ? await res.text() : "";
});

renderFields(form);
void refreshList();
if (location.hash.length > 1) void watch(location.hash.slice(1));
