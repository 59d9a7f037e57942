/**
 * A coordinator's storage for the simulator: its tables, marks, alarm and KV write log as plain
 * data that survives a crash, with the SweepStore and WriteLog the coordinator and its publisher
 * use over it. Every write is counted, so the scheduler can crash the coordinator between any two
 * of them; a transaction is all or nothing.
 */

import { gridCombinationAt, type SweepConfig, type SweepExperiment } from "../../src/sweep/config";
import type { SweepRow, SweepState, SweepStore } from "../../src/sweep/coordinator-ports";
import { nextPause } from "../../src/sweep/halving";
import type { LoggedWrite, WriteLog } from "../../src/sweep/kv-publisher";
import type { ExperimentRecord, RungMember, SweepRecord } from "../../src/sweep/lifecycle";
import type { StatusCounts } from "../../src/sweep/live-message";
import type { ExperimentStatus, ExperimentView, SweepView } from "../../src/sweep/view";
import { CrashPoint } from "./crash-point";

export { Crash } from "./crash-point";

interface Data {
  sweep?: SweepRow & { createdAt: string; completedAt: string | null };
  experiments: (ExperimentRecord & { seed: number; repeat: number; combination: number; weightScale: number; shard?: number })[];
  marks: Record<string, string>;
  alarm: number | null;
  log: Record<string, LoggedWrite>;
}

export class MemoryStorage extends CrashPoint implements SweepStore, WriteLog {
  data: Data = { experiments: [], marks: {}, alarm: null, log: {} };
  /** Bumped by every set or delete of the alarm: the runtime clears a run alarm only if none came since. */
  alarmVersion = 0;
  private inTransaction = false;

  /** The storage as incarnation `incarnation` sees it: its writes fail once it crashed. */
  as(incarnation: number): MemoryStorage {
    return new Proxy(this, {
      get: (target, prop, receiver) => {
        if (prop === "write") return () => target.write(incarnation);
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(receiver) : value;
      },
    });
  }

  /** `fn`'s writes and, with `wake`, the alarm set to `now`: all or none. */
  transaction(fn: () => void, wake?: () => boolean, now = 0): void {
    if (this.inTransaction) {
      fn();
      return;
    }
    const before = structuredClone(this.data);
    this.inTransaction = true;
    try {
      fn();
      if (wake?.()) {
        this.data.alarm = now;
        this.alarmVersion++;
      }
    } catch (e) {
      this.data = before;
      throw e;
    } finally {
      this.inTransaction = false;
    }
  }

  deleteAll(): void {
    this.write();
    this.data = { experiments: [], marks: {}, alarm: null, log: {} };
  }

  // ---- SweepStore

  exists(): boolean {
    return this.data.sweep !== undefined;
  }

  insert(
    id: string,
    config: SweepConfig,
    requestHash: string,
    createdAt: string,
    experiments: SweepExperiment[],
    now: number,
  ): void {
    this.write();
    this.data.sweep = { id, config, requestHash, status: "queued", createdAt, completedAt: null };
    this.data.experiments = experiments.map((e) => ({
      index: e.index,
      status: "queued",
      epochsDone: 0,
      lists: { plain: [], batchNorm: [] },
      error: null,
      lastReport: now,
      restarts: 0,
      runner: null,
      pauseAt: nextPause(config.halving, null),
      stopped: false,
      seed: e.config.seed,
      repeat: e.repeat,
      combination: e.combination,
      weightScale: e.config.weightScale as number,
    }));
  }

  sweep(): SweepRow | undefined {
    const s = this.data.sweep;
    return s && { id: s.id, status: s.status, config: s.config, requestHash: s.requestHash };
  }

  state(): SweepState | null {
    const s = this.data.sweep;
    if (!s) return null;
    const state: SweepState = {
      status: s.status,
      createdAt: s.createdAt,
      epochsDone: this.data.experiments.reduce((n, e) => n + e.epochsDone, 0),
    };
    if (s.completedAt) state.completedAt = s.completedAt;
    return state;
  }

  experimentView(index: number): ExperimentView | undefined {
    const e = this.data.experiments[index];
    const s = this.data.sweep;
    if (!e || !s) return undefined;
    const view: ExperimentView = {
      index: e.index,
      weightScale: e.weightScale,
      seed: e.seed,
      repeat: e.repeat,
      combination: e.combination,
      grid: gridCombinationAt(s.config.grid, e.combination),
      status: e.status,
      epochsDone: e.epochsDone,
      plain: e.lists.plain,
      batchNorm: e.lists.batchNorm,
    };
    if (e.error) view.error = e.error;
    if (e.stopped) view.stopped = true;
    if (e.runner !== null) view.runner = e.runner;
    return structuredClone(view);
  }

  view(): SweepView | null {
    const s = this.data.sweep;
    if (!s) return null;
    const view: SweepView = {
      id: s.id,
      status: s.status,
      config: s.config,
      createdAt: s.createdAt,
      experiments: this.data.experiments.map((e) => this.experimentView(e.index) as ExperimentView),
    };
    if (s.completedAt) view.completedAt = s.completedAt;
    return view;
  }

  counts(): StatusCounts {
    const counts: StatusCounts = { queued: 0, running: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const e of this.data.experiments) counts[e.status]++;
    return counts;
  }

  withStatus(status: ExperimentStatus): number[] {
    return this.data.experiments.filter((e) => e.status === status).map((e) => e.index);
  }

  runningCount(): number {
    return this.withStatus("running").length;
  }

  queued(limit: number): number[] {
    return this.withStatus("queued").slice(0, limit);
  }

  quiet(before: number): number[] {
    return this.data.experiments.filter((e) => e.status === "running" && e.lastReport < before).map((e) => e.index);
  }

  sweepRecord(): SweepRecord | undefined {
    const s = this.data.sweep;
    return s && { status: s.status, completedAt: s.completedAt };
  }

  experimentRecord(index: number): ExperimentRecord | undefined {
    const e = this.data.experiments[index];
    if (!e || !this.data.sweep) return undefined;
    const { index: i, status, epochsDone, lists, error, lastReport, restarts, runner, pauseAt, stopped } = structuredClone(e);
    return { index: i, status, epochsDone, lists, error, lastReport, restarts, runner, pauseAt, stopped };
  }

  rungStates(): Omit<RungMember, "score">[] {
    return this.data.experiments.map(({ index, status, pauseAt }) => ({ index, status, pauseAt }));
  }

  statuses(): ExperimentStatus[] {
    return this.data.experiments.map((e) => e.status);
  }

  saveExperiment(record: ExperimentRecord): void {
    this.write();
    const e = this.data.experiments[record.index];
    Object.assign(e, structuredClone(record));
  }

  saveSweep(record: SweepRecord): void {
    this.write();
    if (this.data.sweep) Object.assign(this.data.sweep, record);
  }

  shardOf(index: number): number | null {
    return this.data.experiments[index]?.shard ?? null;
  }

  setShard(index: number, shard: number): void {
    this.write();
    const e = this.data.experiments[index];
    if (e) e.shard = shard;
  }

  // ---- WriteLog (the publisher's)

  get(key: string): LoggedWrite | undefined {
    const row = this.data.log[key];
    return row && { ...row };
  }

  markPending(key: string): void {
    this.write();
    const row = this.data.log[key];
    if (row) row.pending = true;
  }

  begin(key: string, at: number, signature: string): void {
    this.write();
    this.data.log[key] = { writtenAt: at, pending: true, signature };
  }

  done(key: string, at: number): void {
    this.write();
    const row = this.data.log[key];
    if (row && row.writtenAt === at) row.pending = false;
  }
}
