/**
 * What a sweep's coordinator (coordinator.ts) needs from the world around it: its storage, its
 * alarm, its runners, the Quota, KV and its viewers. The Durable Object gives it the platform's
 * (SQLite, alarms, RPC stubs, KV, WebSockets); the simulator (test/sim/) gives it simulated ones
 * that lose, delay and repeat, and crash between writes.
 */

import type { SweepConfig, SweepExperiment } from "./config";
import type { ExperimentRecord, RungMember, SweepRecord } from "./lifecycle";
import type { LiveMessage, StatusCounts } from "./live-message";
import type { KickResult, RunnerSpec } from "./runner-protocol";
import type { ExperimentStatus, ExperimentView, SweepStatus, SweepView } from "./view";

/** Where a sweep stands, without its lists. */
export interface SweepState {
  status: SweepStatus;
  createdAt: string;
  completedAt?: string;
  /** Epochs done over all experiments: a final sweep's lists change only with it (a late result kept). */
  epochsDone: number;
}

/** The sweep's own row. */
export interface SweepRow {
  id: string;
  status: SweepStatus;
  config: SweepConfig;
  requestHash: string;
}

/** A coordinator's tables: every method synchronous, so a check and its write cannot interleave. */
export interface SweepStore {
  exists(): boolean;
  insert(
    id: string,
    config: SweepConfig,
    requestHash: string,
    createdAt: string,
    experiments: SweepExperiment[],
    now: number,
  ): void;
  sweep(): SweepRow | undefined;
  state(): SweepState | null;
  view(): SweepView | null;
  experimentView(index: number): ExperimentView | undefined;
  counts(): StatusCounts;
  withStatus(status: ExperimentStatus): number[];
  runningCount(): number;
  queued(limit: number): number[];
  quiet(before: number): number[];
  sweepRecord(): SweepRecord | undefined;
  experimentRecord(index: number): ExperimentRecord | undefined;
  /** Every experiment's status and next pause, without its lists. */
  rungStates(): Omit<RungMember, "score">[];
  statuses(): ExperimentStatus[];
  saveExperiment(record: ExperimentRecord): void;
  saveSweep(record: SweepRecord): void;
  /**
   * The runner process (shard) experiment `index` was started on (Coordinator.toStart),
   * PLACED_BY_INDEX in a sweep stored before experiments were placed, or null if it never was.
   */
  shardOf(index: number): number | null;
  /** Records the shard experiment `index` starts on: it stays there, as its runner's checkpoint does. */
  setShard(index: number, shard: number): void;
}

/** One experiment's runner, over RPC: every call may fail. */
export interface RunnerPort {
  /** True when it started anew (it held nothing); false when it already had this experiment. */
  start(spec: RunnerSpec): Promise<boolean>;
  kick(): Promise<KickResult>;
  /** Runs it again as `spec` says; false when it holds nothing. */
  retry(fromScratch: boolean, spec: RunnerSpec): Promise<boolean>;
  cancel(): Promise<void>;
}

/** What a request for places gets: the places granted now, and where the sweep stands when not all were. */
export interface Places {
  granted: number[];
  running: number;
  limit: number;
  /** Sweeps waiting before this one. */
  ahead: number;
}

/** The deployment's places of running experiments. */
export interface QuotaPort {
  acquire(sweepId: string, wanted: number[], options?: { queue?: boolean }): Promise<Places>;
  release(sweepId: string, indices?: number[]): Promise<void>;
}

/** KV's limit: one write per key per second. */
export const KV_WRITE_INTERVAL_MS = 1000;

/** SweepStore.shardOf of an experiment of a sweep stored before experiments were placed: its runner is on index % runnerShards. */
export const PLACED_BY_INDEX = -1;

/** On several runner processes, experiments of one slice each run this many times MAX_PARALLEL_RUNNERS (Coordinator.toStart). */
export const ONE_SLICE_DEPTH = 4;

/** KV, through the publisher that paces its writes: `publish` answers when the writes still owed are due. */
export interface PublisherPort {
  publish(view: SweepView): Promise<number | null>;
  unpublish(view: SweepView): Promise<void>;
}

/** The sweep's live viewers. */
export interface ViewersPort {
  count(): number;
  /** Sends to every viewer (a final message closes them). */
  broadcast(message: LiveMessage): void;
  closeAll(code: number, reason: string): void;
}

/** The tuning the coordinator reads. */
export type CoordinatorTuning =
  | "MAX_PARALLEL_RUNNERS"
  | "SLICE_WORK"
  | "WATCHDOG_STALL_MS"
  | "WATCHDOG_INTERVAL_MS"
  | "MAX_SLICE_FAILURES"
  | "RETAIN_DAYS";

export interface CoordinatorPorts {
  table: SweepStore;
  /**
   * Runs `fn`'s writes as one: all or none. With `wake`, setting the alarm to now is part of the
   * same write (a sweep made live again is never left without an alarm to watch it).
   */
  transaction(fn: () => void, wake?: () => boolean): void;
  alarm: { get(): Promise<number | null>; set(at: number): Promise<void>; delete(): Promise<void> };
  /** A mark kept in storage (a word or a time). */
  mark: {
    get(key: string): Promise<string | undefined>;
    put(key: string, value: string): Promise<void>;
  };
  /** Deletes everything stored (tables, marks, alarm). */
  deleteAll(): Promise<void>;
  /** Experiment `index`'s runner on runner process `shard` (0 … runnerShards − 1). */
  runner(sweepId: string, index: number, shard: number): RunnerPort;
  /**
   * Runner processes experiments are placed on, each as it starts (Coordinator.toStart): 1 when
   * deployed (the platform places each object); K locally, one workerd each (scripts/local-runners.ts).
   */
  runnerShards: number;
  quota: QuotaPort;
  publisher: PublisherPort;
  viewers: ViewersPort;
  now(): number;
  tuning(name: CoordinatorTuning): number;
  log(message: string): void;
}
