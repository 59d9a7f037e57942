/** Shared steps of the Worker tests: HTTP through the Worker's own fetch, polling, direct engine runs. */

import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ExperimentConfig } from "../../src/experiment/config";
import { Experiment, type ExperimentResult } from "../../src/experiment/experiment";
import type { SweepRequest } from "../../src/sweep/config";
import { isFinalSweep, type SweepView } from "../../src/sweep/view";
import type { SweepEstimate } from "../../workers/admission";
import { app } from "../../workers/app";
import { loadDataset } from "../../workers/dataset-loader";
import type { Env } from "../../workers/env";
import { coordinatorOf, runnerOf } from "../../workers/stubs";

/** A request as the CLI and the dashboard send it: a POST says its body is JSON (the open server asks it). */
function asClient(path: string, init?: RequestInit): Request {
  const headers = new Headers(init?.headers);
  // A string body alone would be sent as text/plain.
  if (init?.method === "POST" && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return new Request(`http://localhost${path}`, { ...init, headers });
}

/** A request to the Worker, as a client would send it. */
export function api(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(asClient(path, init));
}

/** A request to the Worker exactly as given (no header added). */
export function rawApi(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://localhost${path}`, init));
}

/** A request to the app with some bindings changed (e.g. SWEEP_TOKEN set). */
export function apiWith(changes: Partial<Env>, path: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(app.fetch(asClient(path, init), { ...env, ...changes }));
}

/** What POST /api/sweeps answers: the error of a refusal, or the estimate of a dry run or a start. */
export interface SweepAnswer {
  error?: { field: string; message: string };
  estimate?: SweepEstimate;
}

/** POSTs `body` to /api/sweeps (`query` e.g. "?dryRun=1"): the status and the answer as `T`. */
export async function postSweep<T = SweepAnswer>(body: unknown, query = ""): Promise<{ status: number; body: T }> {
  const res = await api(`/api/sweeps${query}`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

/** POSTs a sweep and returns its id (asserting 202). */
export async function startSweep(config: SweepRequest, headers: Record<string, string> = {}): Promise<string> {
  const res = await api("/api/sweeps", { method: "POST", body: JSON.stringify(config), headers });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** The sweep as GET /api/sweeps/:id gives it. */
export async function getSweep(id: string): Promise<SweepView> {
  const res = await api(`/api/sweeps/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as SweepView;
}

/** Polls the sweep until `done` holds; fails after `timeoutMs`. */
export async function waitForSweep(id: string, done: (v: SweepView) => boolean, timeoutMs = 60_000): Promise<SweepView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await getSweep(id);
    if (done(view)) return view;
    if (Date.now() > deadline)
      throw new Error(
        `sweep ${id} still ${view.status} after ${timeoutMs} ms: ${JSON.stringify(view.experiments.map((e) => [e.status, e.epochsDone, e.error]))}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True once the sweep's status is final. */
export const isFinal = (v: SweepView): boolean => isFinalSweep(v.status);

/** The runner stub of experiment `index` of a sweep (the tests run one runner process). */
export function runnerStub(sweepId: string, index: number) {
  return runnerOf(env, sweepId, index, 0);
}

/** The coordinator stub of a sweep. */
export function coordinatorStub(sweepId: string) {
  return coordinatorOf(env, sweepId);
}

/** The same experiment run directly by the engine inside workerd, on the same assets. */
export async function runEngine(config: ExperimentConfig): Promise<ExperimentResult> {
  const data = await loadDataset(env.ASSETS, config.trainSize, config.testSize);
  return new Experiment(config, data).run();
}

/**
 * `namespace` with some methods of its stubs replaced: `replace(stub)` gives the replacements,
 * every other method and property is the real one.
 */
export function withStubMethods<N extends object>(namespace: N, replace: (stub: never) => Record<string, unknown>): N {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "get") return typeof value === "function" ? value.bind(target) : value;
      return (id: DurableObjectId) => {
        const stub = (value as (id: DurableObjectId) => object).call(target, id);
        const own = replace(stub as never);
        return new Proxy(stub, { get: (s, p) => (String(p) in own ? own[String(p)] : Reflect.get(s, p)) });
      };
    },
  });
}
