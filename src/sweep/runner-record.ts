/**
 * What an ExperimentRunner keeps besides its checkpoint: one typed, versioned record under one
 * key, read and written only through {@link RunnerRecords} (the runner and the tests alike).
 */

import type { RunnerReport, RunnerSpec } from "./runner-protocol";

/**
 * running: slices to do; completed/failed: the final report is kept (until taken, for completed);
 * paused: at its spec's pauseAt, its checkpoint and its pause report kept until it is told to go on.
 */
export type RunnerState = "running" | "completed" | "failed" | "paused";

/** The runner's record. */
export interface RunnerRecord {
  version: 1;
  spec: RunnerSpec;
  state: RunnerState;
  /** Slices started and not finished, in a row: an isolate killed mid-slice leaves this counted. */
  attempts: number;
  /** Slices that threw, in a row. */
  failures: number;
  /** The final report, kept until the coordinator takes it. */
  final?: RunnerReport;
  /** Failed sends of the final report, in a row (the backoff). */
  finalSends: number;
}

/** The storage key of the record. */
export const RUNNER_RECORD_KEY = "runner";

/** A new runner's record. */
export function newRunnerRecord(spec: RunnerSpec): RunnerRecord {
  return { version: 1, spec, state: "running", attempts: 0, failures: 0, finalSends: 0 };
}

/** The storage a runner keeps: keys and values, several written as one. */
export interface RunnerStorage {
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: string[]): Promise<Map<string, T>>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(keys: string[]): Promise<void>;
  deleteAll(): Promise<void>;
}

/** The one accessor of a runner's record. */
export class RunnerRecords {
  constructor(private readonly storage: Pick<RunnerStorage, "get" | "put">) {}

  /** The record, or undefined when the runner holds none (never started, or stopped and deleted). */
  async get(): Promise<RunnerRecord | undefined> {
    const record = await this.storage.get<RunnerRecord>(RUNNER_RECORD_KEY);
    if (record !== undefined && record.version !== 1)
      throw new Error(`runner record version ${record.version}; this code reads 1`);
    return record;
  }

  /**
   * Changes some fields of the stored record (read and written back with no other event between:
   * the object's input gate holds them while storage works). False when there is none any more.
   */
  async update(changes: Partial<Omit<RunnerRecord, "version" | "spec">>, more: Record<string, unknown> = {}): Promise<boolean> {
    const record = await this.get();
    if (!record) return false;
    await this.put({ ...record, ...changes }, more);
    return true;
  }

  /** Stores the record, with `more` entries (a checkpoint's pieces) in the same write. */
  async put(record: RunnerRecord, more: Record<string, unknown> = {}): Promise<void> {
    await this.storage.put({ ...more, [RUNNER_RECORD_KEY]: record });
  }
}
