/**
 * SweepCoordinator: one Durable Object per sweep. Its logic is the Coordinator of
 * src/sweep/coordinator.ts; this object gives it the platform (SQLite tables, its alarm, runner
 * and Quota stubs over RPC, KV through the ResultsPublisher, WebSocket viewers) and serves the
 * live socket, which only a Durable Object can hold.
 */

import { DurableObject } from "cloudflare:workers";
import { isFinalSweep, LIVE_CLOSE, type LiveMessage, type SweepConfig, type SweepView } from "../src/sweep";
import { Coordinator, type CoordinatorRefusal } from "../src/sweep/coordinator";
import type { SweepState } from "../src/sweep/coordinator-ports";
import type { ReportAnswer, RunnerReport } from "../src/sweep/runner-protocol";
import { errorResponse } from "./api-error";
import { type Env, tuning } from "./env";
import { ResultsPublisher } from "./results-publisher";
import { ResultsStore } from "./results-store";
import { quotaOf, runnerOf, runnerShards } from "./stubs";
import { SweepTable } from "./sweep-table";

export type { CoordinatorRefusal };

export class SweepCoordinator extends DurableObject<Env> {
  private readonly core: Coordinator;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const storage = ctx.storage;
    const table = new SweepTable(storage.sql);
    // Read from this.env at each use, as the runner bindings are.
    const shards = () => runnerShards(this.env);
    this.core = new Coordinator({
      table,
      transaction: (fn, wake) => {
        storage.transactionSync(fn);
        // Issued with no await between: the platform commits it with the SQL writes, atomically.
        if (wake?.()) void storage.setAlarm(Date.now());
      },
      alarm: { get: () => storage.getAlarm(), set: (at) => storage.setAlarm(at), delete: () => storage.deleteAlarm() },
      mark: {
        // A mark stored as `true` before marks held their end's time reads as no mark: retention runs once more.
        get: async (key) => {
          const value = await storage.get<unknown>(key);
          return typeof value === "string" ? value : undefined;
        },
        put: (key, value) => storage.put(key, value),
      },
      deleteAll: async () => {
        await storage.deleteAll();
        table.forget();
      },
      // Read from this.env at each call: tests replace the bindings of a live object.
      runner: (sweepId, index, shard) => runnerOf(this.env, sweepId, index, shard),
      get runnerShards() {
        return shards();
      },
      quota: {
        acquire: (sweepId, wanted, options) => quotaOf(this.env).acquire(sweepId, wanted, options),
        release: (sweepId, indices) => quotaOf(this.env).release(sweepId, indices),
      },
      publisher: {
        publish: (view) => this.publisher.publish(view),
        unpublish: (view) => this.publisher.unpublish(view),
      },
      viewers: {
        count: () => ctx.getWebSockets().length,
        broadcast: (message) => this.broadcast(message),
        closeAll: (code, reason) => {
          for (const ws of ctx.getWebSockets()) closeQuietly(ws, code, reason);
        },
      },
      now: () => Date.now(),
      tuning: (name) => tuning(this.env, name),
      log: (message) => console.error(message),
    });
    this.publisher = new ResultsPublisher(storage.sql, new ResultsStore(env.RESULTS));
  }

  /** KV through its pacing; a field, so that tests can count its writes. */
  private publisher: ResultsPublisher;

  create(id: string, config: SweepConfig, requestHash: string, createdAt: string): Promise<SweepView | CoordinatorRefusal> {
    return this.core.create(id, config, requestHash, createdAt);
  }

  state(): SweepState | null {
    return this.core.state();
  }

  view(): SweepView | null {
    return this.core.view();
  }

  wake(): Promise<void> {
    return this.core.wake();
  }

  report(index: number, report: RunnerReport): Promise<ReportAnswer> {
    return this.core.report(index, report);
  }

  cancel(): Promise<SweepView | CoordinatorRefusal> {
    return this.core.cancel();
  }

  retry(index: number, fromScratch: boolean): Promise<SweepView | CoordinatorRefusal> {
    return this.core.retry(index, fromScratch);
  }

  retain(now?: number): Promise<number | null> {
    return this.core.retain(now);
  }

  purge(): Promise<{ purged: string } | CoordinatorRefusal> {
    return this.core.purge();
  }

  override alarm(): Promise<void> {
    return this.core.alarm();
  }

  /**
   * `GET /api/sweeps/:id/live`, forwarded by the Worker: a WebSocket that gets the view on connect,
   * each experiment's change, and the status and counts when the sweep ends. Accepted with the
   * hibernation API, so idle viewers cost nothing; at most MAX_VIEWERS_PER_SWEEP at once, and a
   * viewer that speaks is closed.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(426, "upgrade_required", "this endpoint speaks WebSocket");
    }
    const view = this.core.view();
    if (!view) return errorResponse(404, "not_found", "no such sweep");
    const [client, server] = Object.values(new WebSocketPair());
    const limit = tuning(this.env, "MAX_VIEWERS_PER_SWEEP");
    if (this.ctx.getWebSockets().length >= limit) {
      // Accepted only to say why: a refused upgrade gives a browser no reason at all.
      server.accept();
      server.close(
        LIVE_CLOSE.tooManyViewers,
        `this sweep has ${limit} viewers, the most it takes (MAX_VIEWERS_PER_SWEEP); try again later`,
      );
      return new Response(null, { status: 101, webSocket: client });
    }
    this.ctx.acceptWebSocket(server);
    server.send(JSON.stringify({ type: "view", view } satisfies LiveMessage));
    if (isFinalSweep(view.status)) {
      server.send(JSON.stringify(this.core.finalMessage()));
      server.close(LIVE_CLOSE.ended, "sweep ended");
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Viewers only receive: one that sends anything is closed, whatever it sent. */
  override async webSocketMessage(ws: WebSocket): Promise<void> {
    closeQuietly(ws, LIVE_CLOSE.viewerSpoke, "viewers only receive");
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005 (no code) and 1006 (abnormal) may not be sent back: the close is answered with 1000.
    closeQuietly(ws, code === 1005 || code === 1006 || code === 1015 ? 1000 : code, "closed");
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, 1011, "socket error");
  }

  /** Sends a message to every viewer; one that cannot take it is dropped, never the sweep. */
  private broadcast(message: LiveMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
        if (message.type === "final") ws.close(LIVE_CLOSE.ended, "sweep ended");
      } catch {
        // A viewer gone mid-send: nothing to do.
      }
    }
  }
}

/** Closes a socket that may be closed already (an abnormal close leaves nothing to answer). */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
