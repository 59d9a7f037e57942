/** The HTTP API: a Hono app that validates and admits sweeps, hands them to coordinators and serves results. */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { randomSeed } from "../src/experiment";
import {
  compareSvg,
  gridCombinations,
  isFinalSweep,
  parseSweepConfig,
  plotSvg,
  resultsCsvLines,
  type SweepConfig,
  type SweepRequest,
  type SweepView,
  summarySvg,
  sweepLinks,
} from "../src/sweep";
import { admit } from "./admission";
import { apiError, onError } from "./api-error";
import { requireToken } from "./auth";
import type { Env } from "./env";
import { ResultsStore } from "./results-store";
import { sha256Hex } from "./sha256";
import { coordinatorOf } from "./stubs";
import type { CoordinatorRefusal } from "./sweep-coordinator";
import { IDEMPOTENCY_TTL_MS, previousSweepIdFor, randomSweepId, SWEEP_ID, sweepIdFor } from "./sweep-id";

/** Largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;
/** Sweeps per page of the list. */
const PAGE_SIZE = 100;

type AppEnv = { Bindings: Env };
type ConfigEnv = AppEnv & { Variables: { config: SweepConfig; requestHash: string } };

/** Stops reading at MAX_BODY_BYTES, declared or chunked, and answers 413. */
const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => apiError(413, "body_too_large", `the body is over the limit of ${MAX_BODY_BYTES} bytes`, "body"),
});

/** JSON with object keys sorted, so that the same request in another key order hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    return apiError(400, "malformed_json", `body is not valid JSON: ${(e as Error).message}`, "body");
  }
}

/**
 * A sweep by id. The coordinator says where it stands; a final sweep's results come from KV when
 * KV has this very final state, else (KV not caught up yet) from the coordinator. Nothing is written.
 */
async function findSweep(env: Env, id: string): Promise<SweepView> {
  if (!SWEEP_ID.test(id)) apiError(404, "not_found", `no sweep ${id}`);
  const coordinator = coordinatorOf(env, id);
  const state = await coordinator.state();
  if (!state) apiError(404, "not_found", `no sweep ${id}`);
  if (isFinalSweep(state.status)) {
    const stored = await new ResultsStore(env.RESULTS).getResult(id);
    if (stored && stored.status === state.status && stored.completedAt === state.completedAt) return stored;
  }
  const live = await coordinator.view();
  if (!live) apiError(404, "not_found", `no sweep ${id}`);
  return live;
}

/** The id for a new sweep: random, or the one its Idempotency-Key names (made under it in the last 24 h, else new). */
async function newSweepId(env: Env, key: string | undefined, now: number): Promise<string> {
  if (!key) return randomSweepId();
  const previous = await previousSweepIdFor(key, now);
  const prior = await coordinatorOf(env, previous).state();
  if (prior && now - Date.parse(prior.createdAt) < IDEMPOTENCY_TTL_MS) return previous;
  return sweepIdFor(key, now);
}

function orRefusal(result: SweepView | CoordinatorRefusal): SweepView {
  if ("refused" in result) {
    const status = { not_found: 404, conflict: 409, idempotency_mismatch: 422 } as const;
    apiError(status[result.refused], result.refused, result.message);
  }
  return result;
}

/**
 * Reads and validates the sweep config into `c.var.config`, with a hash of the request for
 * Idempotency-Key checks. Declaring the JSON input as {@link SweepRequest} types it for Hono's client.
 */
const sweepConfigBody = createMiddleware<ConfigEnv, string, { in: { json: SweepRequest; query: { dryRun?: string } } }>(
  async (c, next) => {
    const body = await parseJson(await c.req.text());
    c.set("config", parseSweepConfig(body, randomSeed));
    c.set("requestHash", await sha256Hex(canonicalJson(body)));
    await next();
  },
);

const api = new Hono<ConfigEnv>()
  .post("/sweeps", requireToken, limitBody, sweepConfigBody, async (c) => {
    const config = c.var.config;
    const estimate = admit(config, c.env);
    if (["1", "true"].includes(c.req.query("dryRun") ?? "")) return c.json({ config, estimate }, 200);
    const now = Date.now();
    const id = await newSweepId(c.env, c.req.header("Idempotency-Key"), now);
    const view = orRefusal(await coordinatorOf(c.env, id).create(id, config, c.var.requestHash, new Date(now).toISOString()));
    return c.json({ id, status: view.status, links: sweepLinks(id), estimate }, 202);
  })
  .get("/sweeps", async (c) => {
    const page = await new ResultsStore(c.env.RESULTS).listSummaries(PAGE_SIZE, c.req.query("cursor"));
    return c.json(page);
  })
  .get("/sweeps/:id", async (c) => {
    return c.json(await findSweep(c.env, c.req.param("id")));
  })
  .get("/sweeps/:id/results.csv", async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    const lines = resultsCsvLines(view);
    const encoder = new TextEncoder();
    // Streamed a chunk of lines at a time: the largest admitted sweep is never one string.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        let chunk = "";
        for (let n = 0; n < 2048; n++) {
          const next = lines.next();
          if (next.done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += next.value;
        }
        controller.enqueue(encoder.encode(chunk));
      },
    });
    return c.body(stream, 200, { "Content-Type": "text/csv; charset=utf-8" });
  })
  .get("/sweeps/:id/plot.svg", async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    const raw = c.req.query("combination");
    const combination = raw === undefined ? undefined : Number(raw);
    const count = gridCombinations(view.config.grid ?? {}).length;
    if (combination !== undefined && !(Number.isInteger(combination) && combination >= 0 && combination < count)) {
      apiError(400, "invalid_field", `combination must be an integer from 0 to ${count - 1}`, "combination");
    }
    const svg = plotSvg(view, { showTest: c.req.query("test") === "1", combination });
    return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  })
  .get("/sweeps/:id/live", async (c) => {
    const id = c.req.param("id");
    if (!SWEEP_ID.test(id)) apiError(404, "not_found", `no sweep ${id}`);
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      apiError(426, "upgrade_required", "this endpoint speaks WebSocket: connect with Upgrade: websocket");
    }
    const coordinator = coordinatorOf(c.env, id);
    if (!(await coordinator.state())) apiError(404, "not_found", `no sweep ${id}`);
    return coordinator.fetch(c.req.raw);
  })
  .get("/sweeps/:id/summary.svg", async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    return c.body(summarySvg(view), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  })
  .delete("/sweeps/:id", requireToken, async (c) => {
    const id = c.req.param("id");
    await findSweep(c.env, id);
    const view = orRefusal(await coordinatorOf(c.env, id).cancel());
    return c.json({ id, status: view.status, links: sweepLinks(id) });
  })
  .post("/sweeps/:id/experiments/:index/retry", requireToken, async (c) => {
    const id = c.req.param("id");
    const index = Number(c.req.param("index"));
    if (!Number.isInteger(index) || index < 0) apiError(404, "not_found", `no experiment ${c.req.param("index")}`);
    await findSweep(c.env, id);
    const view = orRefusal(await coordinatorOf(c.env, id).retry(index, c.req.query("fromScratch") === "1"));
    return c.json({ id, status: view.status, links: sweepLinks(id) }, 202);
  });

/** Sweeps a comparison may overlay. */
const MAX_COMPARED = 4;

const compare = new Hono<AppEnv>().get("/compare.svg", async (c) => {
  const ids = (c.req.query("ids") ?? "").split(",").filter(Boolean);
  if (ids.length < 1 || ids.length > MAX_COMPARED) {
    apiError(400, "invalid_field", `ids must be 1 to ${MAX_COMPARED} sweep ids separated by commas`, "ids");
  }
  const views = await Promise.all(ids.map((id) => findSweep(c.env, id)));
  return c.body(compareSvg(views), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
});

/** The Worker's app: the API under /api, a health check, JSON errors everywhere. */
export const app = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .route("/api", api)
  .route("/api", compare)
  .notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404),
  )
  .onError(onError);

/** The API's type, for Hono's typed client (`hono/client`). */
export type AppType = typeof app;
