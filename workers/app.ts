/** The HTTP API: a Hono app that validates and admits sweeps, hands them to coordinators and serves results. */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { randomSeed } from "../src/experiment";
import {
  compareSvg,
  isBatchNormStudy,
  isFinalSweep,
  MAX_COMPARED,
  parseSweepConfig,
  plotSvg,
  resultsCsvLines,
  type SweepConfig,
  type SweepRequest,
  type SweepView,
  studySvg,
  summarySvg,
  sweepCombinations,
  sweepLinks,
  totalEpochsDone,
} from "../src/sweep";
import { admit } from "./admission";
import { type ApiErrorBody, apiError, errorBody, onError } from "./api-error";
import { publicRead, requireReader, requireToken } from "./auth";
import type { Env } from "./env";
import { issueTicket, validTicket } from "./live-ticket";
import { limitPosts } from "./post-limit";
import type { DayFigures } from "./quota";
import { ResultsStore } from "./results-store";
import { sha256Hex } from "./sha256";
import { coordinatorOf, quotaOf } from "./stubs";
import type { CoordinatorRefusal } from "./sweep-coordinator";
import { IDEMPOTENCY_TTL_MS, previousSweepIdFor, randomSweepId, SWEEP_ID, sweepIdFor } from "./sweep-id";
import { refuseOtherPages } from "./web-guard";

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

/** The coordinator of an existing sweep and where the sweep stands (its lists not read); 404 otherwise. */
async function existingSweep(env: Env, id: string) {
  if (!SWEEP_ID.test(id)) apiError(404, "not_found", `no sweep ${id}`);
  const coordinator = coordinatorOf(env, id);
  const state = await coordinator.state();
  if (!state) apiError(404, "not_found", `no sweep ${id}`);
  return { coordinator, state };
}

/**
 * A sweep by id. The coordinator says where it stands; a final sweep's results come from KV when
 * KV has this very final state, else (KV not caught up yet) from the coordinator. Nothing is written.
 */
async function findSweep(env: Env, id: string): Promise<SweepView> {
  const { coordinator, state } = await existingSweep(env, id);
  if (isFinalSweep(state.status)) {
    const stored = await new ResultsStore(env.RESULTS).getResult(id);
    if (
      stored &&
      stored.status === state.status &&
      stored.completedAt === state.completedAt &&
      totalEpochsDone(stored) === state.epochsDone
    )
      return stored;
  }
  const live = await coordinator.view();
  if (!live) apiError(404, "not_found", `no sweep ${id}`);
  return live;
}

/** 429 for a sweep past the day's work: when the day resets, and the day's figures. */
function dailyLimitReached(work: number, today: DayFigures): Response {
  const message = `this sweep's ${work.toExponential(2)} multiply-adds would pass today's limit (DAILY_WORK_LIMIT ${today.limit.toExponential(2)}; ${today.used.toExponential(2)} used, ${today.left.toExponential(2)} left); the day resets at midnight UTC`;
  const body: ApiErrorBody & { today: DayFigures } = { ...errorBody("daily_limit", message), today };
  return Response.json(body, { status: 429, headers: { "Retry-After": String(today.resetsInSeconds) } });
}

/** Cursors KV gives are short base64-like text: anything else is refused before KV sees it. */
const CURSOR = /^[A-Za-z0-9+/=_-]{1,1024}$/;

/** One page of the list; a cursor this server did not give answers 400. */
async function listPage(env: Env, cursor: string | undefined) {
  const refuse = () => apiError(400, "invalid_field", "cursor must be one a previous page of this list gave", "cursor");
  if (cursor !== undefined && !CURSOR.test(cursor)) refuse();
  try {
    return await new ResultsStore(env.RESULTS).listSummaries(PAGE_SIZE, cursor);
  } catch (e) {
    if (cursor !== undefined) refuse();
    throw e;
  }
}

/**
 * The live socket's guard: a valid `?ticket=` (GET …/ticket) where reads need the token, else
 * the reads' rule (a header works for clients that can send one).
 */
const liveAccess = createMiddleware<AppEnv>(async (c, next) => {
  const ticket = c.req.query("ticket");
  const token = c.env.SWEEP_TOKEN;
  if (token && !publicRead(c.env) && ticket !== undefined) {
    if (await validTicket(token, c.req.param("id") ?? "", ticket)) return next();
    apiError(
      401,
      "unauthorized",
      "the live ticket is invalid or expired; get a new one from GET /api/sweeps/:id/ticket",
      "ticket",
    );
  }
  return requireReader(c, next);
});

/** The id for a new sweep: random, or the one its Idempotency-Key names (made under it in the last 24 h, else new). */
async function newSweepId(env: Env, key: string | undefined, now: number): Promise<string> {
  if (!key) return randomSweepId();
  const previous = await previousSweepIdFor(key, now);
  const prior = await coordinatorOf(env, previous).state();
  if (prior && now - Date.parse(prior.createdAt) < IDEMPOTENCY_TTL_MS) return previous;
  return sweepIdFor(key, now);
}

/** Throws the HTTP error of a coordinator's refusal; anything else passes. */
function throwRefusal(result: object): void {
  if ("refused" in result) {
    const { refused, message } = result as CoordinatorRefusal;
    const status = { not_found: 404, conflict: 409, idempotency_mismatch: 422 } as const;
    apiError(status[refused], refused, message);
  }
}

function orRefusal(result: SweepView | CoordinatorRefusal): SweepView {
  throwRefusal(result);
  return result as SweepView;
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

/** Declares DELETE's `?purge=1` for Hono's typed client. */
const purgeQuery = createMiddleware<AppEnv, string, { in: { query: { purge?: string } } }>(async (_, next) => next());

const api = new Hono<ConfigEnv>()
  .post("/sweeps", requireToken, limitPosts, limitBody, sweepConfigBody, async (c) => {
    const config = c.var.config;
    const estimate = admit(config, c.env);
    const now = Date.now();
    const quota = quotaOf(c.env);
    if (["1", "true"].includes(c.req.query("dryRun") ?? "")) {
      return c.json({ config, estimate: { ...estimate, today: await quota.today(now) } }, 200);
    }
    const id = await newSweepId(c.env, c.req.header("Idempotency-Key"), now);
    const { admitted, today } = await quota.reserveWork(id, estimate.multiplyAdds, now);
    if (!admitted) return dailyLimitReached(estimate.multiplyAdds, today);
    const view = orRefusal(await coordinatorOf(c.env, id).create(id, config, c.var.requestHash, new Date(now).toISOString()));
    return c.json({ id, status: view.status, links: sweepLinks(id), estimate }, 202);
  })
  .get("/sweeps", requireReader, async (c) => {
    return c.json(await listPage(c.env, c.req.query("cursor")));
  })
  .get("/sweeps/:id", requireReader, async (c) => {
    return c.json(await findSweep(c.env, c.req.param("id")));
  })
  .get("/sweeps/:id/results.csv", requireReader, async (c) => {
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
  .get("/sweeps/:id/plot.svg", requireReader, async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    const raw = c.req.query("combination");
    const combination = raw === undefined ? undefined : Number(raw);
    const count = sweepCombinations(view).length;
    if (combination !== undefined && !(Number.isInteger(combination) && combination >= 0 && combination < count)) {
      apiError(400, "invalid_field", `combination must be an integer from 0 to ${count - 1}`, "combination");
    }
    const svg = isBatchNormStudy(view) ? plotSvg(view, { showTest: c.req.query("test") === "1", combination }) : studySvg(view);
    return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  })
  .get("/sweeps/:id/ticket", requireReader, async (c) => {
    const id = c.req.param("id");
    await existingSweep(c.env, id);
    // Only a server whose reads need the token needs tickets.
    if (!c.env.SWEEP_TOKEN || publicRead(c.env)) return c.json({ ticket: null });
    return c.json(await issueTicket(c.env.SWEEP_TOKEN, id));
  })
  .get("/sweeps/:id/live", liveAccess, async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      apiError(426, "upgrade_required", "this endpoint speaks WebSocket: connect with Upgrade: websocket");
    }
    const { coordinator } = await existingSweep(c.env, c.req.param("id"));
    return coordinator.fetch(c.req.raw);
  })
  .get("/sweeps/:id/summary.svg", requireReader, async (c) => {
    const view = await findSweep(c.env, c.req.param("id"));
    if (!isBatchNormStudy(view)) {
      apiError(
        404,
        "not_found",
        `study ${view.config.study} has no summary figure (final accuracy per weight scale); its figure is plot.svg`,
      );
    }
    return c.body(summarySvg(view), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  })
  .delete("/sweeps/:id", requireToken, purgeQuery, async (c) => {
    const id = c.req.param("id");
    const { coordinator } = await existingSweep(c.env, id);
    if (["1", "true"].includes(c.req.query("purge") ?? "")) {
      throwRefusal(await coordinator.purge());
      return c.json({ id, purged: true });
    }
    const view = orRefusal(await coordinator.cancel());
    return c.json({ id, status: view.status, links: sweepLinks(id) });
  })
  .post("/sweeps/:id/experiments/:index/retry", requireToken, limitPosts, async (c) => {
    const id = c.req.param("id");
    const index = Number(c.req.param("index"));
    if (!Number.isInteger(index) || index < 0) apiError(404, "not_found", `no experiment ${c.req.param("index")}`);
    const { coordinator } = await existingSweep(c.env, id);
    const view = orRefusal(await coordinator.retry(index, c.req.query("fromScratch") === "1"));
    return c.json({ id, status: view.status, links: sweepLinks(id) }, 202);
  });

const compare = new Hono<AppEnv>().get("/compare.svg", requireReader, async (c) => {
  // The same sweep named twice is drawn once: each view is parsed once.
  const ids = [...new Set((c.req.query("ids") ?? "").split(",").filter(Boolean))];
  if (ids.length < 1 || ids.length > MAX_COMPARED) {
    apiError(400, "invalid_field", `ids must be 1 to ${MAX_COMPARED} sweep ids separated by commas`, "ids");
  }
  const views = await Promise.all(ids.map((id) => findSweep(c.env, id)));
  const other = views.find((v) => !isBatchNormStudy(v));
  if (other)
    apiError(
      400,
      "invalid_field",
      `sweep ${other.id} is a ${other.config.study} study; only Batch Norm sweeps are compared`,
      "ids",
    );
  return c.body(compareSvg(views), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
});

/** The Worker's app: the API under /api, a health check, JSON errors everywhere. */
export const app = new Hono<AppEnv>()
  .get("/healthz", (c) => c.json({ ok: true }))
  .use("/api/*", refuseOtherPages)
  .route("/api", api)
  .route("/api", compare)
  .notFound((c) => c.json(errorBody("not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404))
  .onError(onError);

/** The API's type, for Hono's typed client (`hono/client`). */
export type AppType = typeof app;
