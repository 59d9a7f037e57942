/** The dashboard: start a sweep, watch its experiments, see the figure fill in, browse past sweeps. */

import { hc } from "hono/client";
import { isFinalSweep, type SweepView, scaleTitle } from "../src/sweep";
import type { ApiErrorBody } from "../workers/api-error";
import type { AppType } from "../workers/app";
import { clearErrors, readRequest, renderFields, showError } from "./form";

const POLL_MS = 1000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("sweep-form");
let current: string | null = null;
let timer: number | undefined;

/** The typed API client, with the token when one is entered. */
function client() {
  const token = (form.elements.namedItem("token") as HTMLInputElement).value;
  return hc<AppType>(location.origin, token ? { headers: { Authorization: `Bearer ${token}` } } : {}).api.sweeps;
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
      // replaceChildren, not append: the Workers types (for the typed client) declare their own Element.append.
      label.replaceChildren(
        `${scaleTitle(e.weightScale)}${view.config.repeats > 1 ? ` (seed ${e.seed})` : ""}: ${e.epochsDone}/${view.config.epochs} ${e.status}`,
        bar,
        e.error ? ` ${e.error}` : "",
      );
      li.replaceChildren(label);
      return li;
    }),
  );
}

async function renderFigure(id: string): Promise<void> {
  const url = client()[":id"]["plot.svg"].$url({ param: { id } });
  if ($<HTMLInputElement>("show-test").checked) url.searchParams.set("test", "1");
  const res = await fetch(url);
  if (res.ok) $("figure").innerHTML = await res.text();
}

async function refresh(): Promise<void> {
  if (!current) return;
  const id = current;
  const res = await client()[":id"].$get({ param: { id } });
  if (!res.ok) return;
  const view = await res.json();
  $("current-status").textContent = view.status;
  renderProgress(view);
  await renderFigure(id);
  const final = isFinalSweep(view.status);
  $<HTMLButtonElement>("cancel").hidden = final;
  if (final) {
    $("current").dataset.final = "true";
    await refreshList();
  } else {
    timer = window.setTimeout(refresh, POLL_MS);
  }
}

function watch(id: string, links = { self: `/api/sweeps/${id}`, csv: "", plot: "" }): void {
  window.clearTimeout(timer);
  current = id;
  $("current").hidden = false;
  delete $("current").dataset.final;
  $("current-id").textContent = id;
  $<HTMLAnchorElement>("link-json").href = links.self;
  $<HTMLAnchorElement>("link-csv").href = links.csv || `${links.self}/results.csv`;
  $<HTMLAnchorElement>("link-svg").href = links.plot || `${links.self}/plot.svg`;
  $("figure").replaceChildren();
  history.replaceState(null, "", `#${id}`);
  void refresh();
}

async function refreshList(): Promise<void> {
  const res = await client().$get();
  if (!res.ok) return;
  const { sweeps } = await res.json();
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
      li.replaceChildren(a, ` ${s.status}, ${s.experiments} experiments, ${new Date(s.createdAt).toLocaleString()}`);
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
      watch(body.id, body.links);
      await refreshList();
    } else {
      const { error } = body as unknown as ApiErrorBody;
      showError(form, error.field, error.message);
    }
  } catch (e) {
    showError(form, "body", `cannot reach the server: ${(e as Error).message}`);
  } finally {
    button.disabled = false;
  }
});

$("cancel").addEventListener("click", async () => {
  if (current) await client()[":id"].$delete({ param: { id: current } });
  void refresh();
});
$("show-test").addEventListener("change", () => current && renderFigure(current));

renderFields(form);
void refreshList();
if (location.hash.length > 1) watch(location.hash.slice(1));
