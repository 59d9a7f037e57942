/**
 * SweepCoordinator: one Durable Object per sweep, the one writer of its state.
 * - records the sweep and its experiments (SweepTable) and decides every status change, each
 *   check and write synchronously, so reports, alarms, cancels and retries cannot interleave;
 * - fans the experiments out to ExperimentRunners from its alarm, at most MAX_PARALLEL_RUNNERS at
 *   a time, and takes their idempotent reports;
 * - runs a watchdog on the same alarm: a quiet runner is woken (a finished one asked to report
 *   again), at most MAX_SLICE_FAILURES times before its experiment ends failed;
 * - once every experiment is final, marks the sweep final, then publishes to KV
 *   (ResultsPublisher); the alarm keeps going until every write owed to KV is done.
 */

import { DurableObject } from "cloudflare:workers";
import {
  finalSweepStatus,
  isFinalExperiment,
  isFinalSweep,
  type SweepConfig,
  type SweepView,
  sweepExperiments,
} from "../src/sweep";
import { type Env, tuning } from "./env";
import { KV_WRITE_INTERVAL_MS, ResultsPublisher } from "./results-publisher";
import { ResultsStore } from "./results-store";
import type { ReportAnswer, RunnerReport } from "./runner-protocol";
import { runnerOf } from "./stubs";
import { type SweepState, SweepTable } from "./sweep-table";

/** What a live viewer receives: the view on connect, progress on every change, the final view at the end. */
export type LiveMessage =
  | { type: "view" | "final"; view: SweepView }
  | { type: "progress"; status: SweepView["status"]; experiment?: SweepView["experiments"][number] };

/** Why a request to the coordinator cannot be done. */
export type CoordinatorRefusal = { refused: "not_found" | "conflict" | "idempotency_mismatch"; message: string };

export class SweepCoordinator extends DurableObject<Env> {
  private readonly table: SweepTable;
  private readonly publisher: ResultsPublisher;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.table = new SweepTable(ctx.storage.sql);
    this.publisher = new ResultsPublisher(ctx.storage.sql, new ResultsStore(env.RESULTS));
  }

  /**
   * Records a new sweep and schedules its fan-out. For an existing sweep (a retried POST with the
   * same Idempotency-Key) returns it when the request is the same, and refuses a different one.
   */
  async create(id: string, config: SweepConfig, requestHash: string, createdAt: string): Promise<SweepView | CoordinatorRefusal> {
    const existing = this.table.sweep();
    if (existing) {
      if (existing.requestHash !== requestHash) {
        return {
          refused: "idempotency_mismatch",
          message: "this Idempotency-Key was used with a different request; use a new key for a new sweep",
        };
      }
      return this.table.view() as SweepView;
    }
    const now = Date.now();
    this.ctx.storage.transactionSync(() => this.table.insert(id, config, requestHash, createdAt, sweepExperiments(config), now));
    await this.ctx.storage.setAlarm(now);
    return this.publish();
  }

  /** The sweep's status, creation and end times, or null when this coordinator holds none (nothing is written). */
  state(): SweepState | null {
    return this.table.state();
  }

  /** The sweep with its experiments, or null when this coordinator holds none (nothing is written). */
  view(): SweepView | null {
    return this.table.view();
  }

  /**
   * `GET /api/sweeps/:id/live`, forwarded by the Worker: a WebSocket that gets the view on connect,
   * a message on every change and a final one when the sweep ends. Accepted with the hibernation
   * API, so idle viewers cost nothing; they only receive.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ error: { code: "upgrade_required", message: "this endpoint speaks WebSocket" } }, { status: 426 });
    }
    const view = this.table.view();
    if (!view) return Response.json({ error: { code: "not_found", message: "no such sweep" } }, { status: 404 });
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.send(JSON.stringify({ type: "view", view } satisfies LiveMessage));
    if (isFinalSweep(view.status)) {
      server.send(JSON.stringify({ type: "final", view } satisfies LiveMessage));
      server.close(1000, "sweep ended");
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    ws.close(code === 1005 ? 1000 : code, "closed");
  }

  /** Sends a message to every viewer; one that cannot take it is dropped, never the sweep. */
  private broadcast(message: LiveMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
        if (message.type === "final") ws.close(1000, "sweep ended");
      } catch {
        // A viewer gone mid-send: nothing to do.
      }
    }
  }

  /** Tells viewers where the sweep stands: its status and one experiment's progress, or the final view. */
  private announce(index?: number): void {
    if (this.ctx.getWebSockets().length === 0) return;
    const view = this.table.view();
    if (!view) return;
    const experiment = index === undefined ? undefined : view.experiments[index];
    this.broadcast(
      isFinalSweep(view.status)
        ? { type: "final", view }
        : { type: "progress", status: view.status, ...(experiment ? { experiment } : {}) },
    );
  }

  /**
   * Takes a runner's report; `stop` tells it to delete its storage: the sweep is gone or cancelled,
   * or the experiment already ended here (failed by the watchdog) while this runner went on.
   */
  async report(index: number, report: RunnerReport): Promise<ReportAnswer> {
    const sweep = this.table.sweep();
    if (!sweep || sweep.status === "cancelled") return "stop";
    const row = this.table.experiment(index);
    if (!row) return "stop";
    // A final experiment changes only by an explicit retry: a repeated final report is acknowledged.
    if (isFinalExperiment(row.status)) return report.status === "completed" || report.status === "failed" ? "ok" : "stop";
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      if ("lists" in report) {
        this.table.recordProgress(index, report.status, report.epochsDone, report.lists, report.runner ?? null, now);
      } else this.table.recordError(index, report.status === "failed" ? "failed" : "running", report.error, now);
    });
    this.announce(index);
    const freed = report.status === "completed" || report.status === "failed";
    // A runner's place is free: the alarm starts the next queued experiment now.
    if (freed && this.table.queued(1).length > 0) await this.armAlarm(Date.now());
    await this.settle();
    return "ok";
  }

  /** Cancels the sweep and every runner; refused for a finished sweep. */
  async cancel(): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.table.sweep();
    if (!sweep) return { refused: "not_found", message: "no such sweep" };
    if (isFinalSweep(sweep.status)) {
      return {
        refused: "conflict",
        message: `sweep is already ${sweep.status}; only a queued or running sweep can be cancelled`,
      };
    }
    // Decided here, before any await: a report arriving later is answered `stop`.
    this.ctx.storage.transactionSync(() => this.table.cancelOpen(new Date().toISOString()));
    this.announce();
    // Every runner, grid combinations included; one that cannot be reached now stops at its next report.
    const experiments = sweepExperiments(sweep.config);
    await Promise.allSettled(experiments.map((e) => runnerOf(this.env, sweep.id, e.index).cancel()));
    return this.publish();
  }

  /** Re-runs a failed experiment, from its checkpoint or from its seed; the sweep is live again. */
  async retry(index: number, fromScratch: boolean): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.table.sweep();
    const row = sweep && this.table.experiment(index);
    if (!sweep || !row)
      return { refused: "not_found", message: sweep ? `no experiment ${index} in this sweep` : "no such sweep" };
    const refusal = (status: string): CoordinatorRefusal => ({
      refused: "conflict",
      message: `experiment ${index} is ${status}; only a failed experiment of a live sweep can be retried`,
    });
    if (row.status !== "failed" || sweep.status === "cancelled") return refusal(row.status);
    // The runner first: if it cannot be reached, nothing here has changed and the retry can be asked again.
    const runner = runnerOf(this.env, sweep.id, index);
    const spec = sweepExperiments(sweep.config).find((e) => e.index === index);
    if (!(await runner.retry(fromScratch)) && spec) await runner.start({ sweepId: sweep.id, index, config: spec.config });
    // A cancel may have come in meanwhile: it stands, and the runner stops at its next report.
    const now = this.table.sweep();
    const again = this.table.experiment(index);
    if (now?.status === "cancelled" || again?.status !== "failed") return refusal(again?.status ?? "gone");
    this.ctx.storage.transactionSync(() => this.table.reopen(index, fromScratch, Date.now()));
    this.announce(index);
    await this.armAlarm(Date.now() + tuning(this.env, "WATCHDOG_INTERVAL_MS"));
    return this.publish();
  }

  /** Fan-out of queued experiments, the watchdog, KV writes owed; re-arms itself until all is done. */
  override async alarm(): Promise<void> {
    const sweep = this.table.sweep();
    if (!sweep) return;
    try {
      if (!isFinalSweep(sweep.status)) {
        await this.startQueued(sweep.id, sweep.config);
        await this.watch(sweep.id, sweep.config);
        await this.settle();
      }
      // Always: a key already holding what it should is not written again (see ResultsPublisher).
      await this.publish();
    } finally {
      if (!isFinalSweep(this.table.sweep()?.status ?? "cancelled")) {
        await this.armAlarm(Date.now() + tuning(this.env, "WATCHDOG_INTERVAL_MS"));
      }
    }
  }

  /** Sets the alarm for `at` unless one is set sooner: a sooner wake-up (a free place, a KV write due) stands. */
  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    // Inside alarm() the running alarm may still read as set (in the past): it does not count.
    if (current === null || current <= Date.now() || current > at) await this.ctx.storage.setAlarm(at);
  }

  private async startQueued(sweepId: string, config: SweepConfig): Promise<void> {
    const free = Math.max(0, tuning(this.env, "MAX_PARALLEL_RUNNERS") - this.table.runningCount());
    const specs = new Map(sweepExperiments(config).map((e) => [e.index, e]));
    // Each start on its own: one runner that cannot be reached leaves the others started, and is
    // tried again at the next alarm (it stays queued).
    await Promise.allSettled(
      this.table.queued(free).map(async (index) => {
        const e = specs.get(index);
        if (!e) return;
        await runnerOf(this.env, sweepId, index).start({ sweepId, index, config: e.config });
        this.table.markStarted(index, Date.now());
      }),
    );
  }

  /**
   * Wakes runners gone quiet; one woken too often in a row (no progress between) ends failed, so no
   * sweep waits forever. A runner that cannot be reached counts as woken.
   */
  private async watch(sweepId: string, config: SweepConfig): Promise<void> {
    const limit = tuning(this.env, "MAX_SLICE_FAILURES");
    const stall = tuning(this.env, "WATCHDOG_STALL_MS");
    for (const quiet of this.table.quiet(Date.now() - stall)) {
      // Re-read after every await: a report may have changed the row meanwhile.
      const row = this.table.experiment(quiet.index);
      if (row?.status !== "running") continue;
      const now = Date.now();
      if (row.restarts >= limit) {
        const error = `runner went quiet ${row.restarts} times in a row (no report for ${stall} ms each); its isolate may exceed memory or CPU`;
        this.table.recordError(row.index, "failed", error, now);
        continue;
      }
      const runner = runnerOf(this.env, sweepId, row.index);
      const found = await runner.kick().catch(() => "unreachable" as const);
      if (this.table.experiment(row.index)?.status !== "running") continue;
      if (found === "busy") {
        this.table.touch(row.index, now);
        continue;
      }
      this.table.recordRestart(row.index, now);
      if (found === "lost") {
        const e = sweepExperiments(config).find((x) => x.index === row.index);
        if (e) await runner.start({ sweepId, index: row.index, config: e.config }).catch(() => undefined);
      }
    }
  }

  /** When every experiment is final: the sweep's final status, decided once, then published. Returns whether it ended. */
  private async settle(): Promise<boolean> {
    const sweep = this.table.sweep();
    if (!sweep || isFinalSweep(sweep.status) || this.table.openCount() > 0) return false;
    const view = this.table.view() as SweepView;
    this.table.finish(finalSweepStatus(view.experiments), new Date().toISOString());
    this.announce();
    await this.publish();
    return true;
  }

  /**
   * Publishes the current view; a write KV does not allow yet, or one that failed, is left to the
   * alarm (the state here is already decided, so a KV error fails no request).
   */
  private async publish(): Promise<SweepView> {
    const view = this.table.view() as SweepView;
    let due: number | null;
    try {
      due = await this.publisher.publish(view);
    } catch (e) {
      console.error(`sweep ${view.id}: KV write failed, retried by the alarm: ${(e as Error).message}`);
      due = Date.now() + KV_WRITE_INTERVAL_MS;
    }
    if (due !== null) await this.armAlarm(due);
    return view;
  }
}
