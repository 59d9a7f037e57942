/** The HTTP API: a Hono app that validates, hands sweeps to coordinators and serves results. */

import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { randomSeed } from "../src/random-seed";
import { plotSvg } from "../src/report/plot-svg";
import { resultsCsv } from "../src/report/results-csv";
import { parseSweepConfig, type SweepConfig, type SweepRequest } from "../src/sweep-config";
import type { SweepView } from "../src/sweep-view";
import { apiError, onError } from "./api-error";
import { requireToken } from "./auth";
import type { Env } from "./env";
import { ResultsStore } from "./results-store";
import type { CoordinatorRefusal } from "./sweep-coordinator";
import { newSweepId, SWEEP_ID } from "./sweep-id";

/** Largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;

type AppEnv = { Bindings: Env };
type ConfigEnv = AppEnv & { Variables: { config: SweepConfig } };

function coordinator(env: Env, id: string) {
  return env.SWEEPS.get(env.SWEEPS.idFromName(id));
}

async function readJsonBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_BODY_BYTES)
    apiError(400, "body_too_large", `body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`, "body");
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) {
    apiError(400, "body_too_large", `body is ${bytes.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`, "body");
  }
  const text = new TextDecoder().decode(bytes).trim();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    return apiError(400, "malformed_json", `body is not valid JSON: ${(e as Error).message}`, "body");
  }
}

/** A sweep by id: the stored results of a finished sweep, else the coordinator's live view. */
async function findSweep(env: Env, id: string): Promise<SweepView> {
  if (!SWEEP_ID.test(id)) apiError(404, "not_found", `no sweep ${id}`);
  const stored = await new ResultsStore(env.RESULTS).getResult(id);
  if (stored) return stored;
  const live = await coordinator(env, id).view();
  if (!live) apiError(404, "not_found", `no sweep ${id}`);
  return live;
}

function orRefusal(result: SweepView | CoordinatorRefusal): SweepView {
  if ("refused" in result) {
    apiError(result.refused === "not_found" ? 404 : 409, result.refused, result.message);
  }
  return result;
}

/**
 * Reads, size-checks and validates the sweep config into `c.var.config`. Declaring the JSON input
 * as {@link SweepRequest} types the body for Hono's client.
 */
const sweepConfigBody = createMiddleware<ConfigEnv, string, { in: { json: SweepRequest } }>(async (c, next) => {
  const body = await readJsonBody(c.req.raw);
  c.set("config", parseSweepConfig(body, randomSeed));
  await next();
});

function links(id: string) {
  const base = `/api/sweeps/${id}`;
  return { self: base, csv: `${base}/results.csv`, plot: `${base}/plot.svg` };
}

const api = new Hono<ConfigEnv>()
  .post("/sweeps", requireToken, sweepConfigBody, async (c) => {
    const config = c.var.config;
    const id = await newSweepId(c.req.header("Idempotency-Key"));
    const view = await coordinator(c.env, id).create(id, config, new Date().toISOString());
    return c.json({ id, status: view.status, links: links(id) }, 202);
  })
  .get("/sweeps", async (c) => {
    return c.json({ sweeps: await new ResultsStore(c.env.RESULTS).listSummaries() });
  })
  .get("/sweeps/:id", async (c) => {
    return c.json(await findSweep(c.env, c.req.param("id")));
  })
  .get("/sweeps/:id/results.csv", async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    return c.body(resultsCsv(view), 200, { "Content-Type": "text/csv; charset=utf-8" });
  })
  .get("/sweeps/:id/plot.svg", async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    const svg = plotSvg(view, { showTest: c.req.query("test") === "1" });
    return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  })
  .delete("/sweeps/:id", requireToken, async (c) => {
    const id = c.req.param("id");
    await findSweep(c.env, id);
    const view = orRefusal(await coordinator(c.env, id).cancel());
    return c.json({ id, status: view.status, links: links(id) });
  })
  .post("/sweeps/:id/experiments/:index/retry", requireToken, async (c) => {
    const id = c.req.param("id");
    const index = Number(c.req.param("index"));
    if (!Number.isInteger(index) || index < 0) apiError(404, "not_found", `no experiment ${c.req.param("index")}`);
    await findSweep(c.env, id);
    const view = orRefusal(await coordinator(c.env, id).retry(index));
    return c.json({ id, status: view.status, links: links(id) }, 202);
  });

/** The Worker's app: the API under /api, a health check, JSON errors everywhere. */
export const app = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .route("/api", api)
  .notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
  )
  .onError(onError);

/** The API's type, for Hono's typed client (`hono/client`). */
export type AppType = typeof app;
