/**
 * A sweep's SQLite tables inside its coordinator: the schema, the rows, the view the API answers,
 * and the records the lifecycle (src/sweep/lifecycle.ts) makes, stored as they come. Statuses in
 * SQL are bound as parameters. The tables are created with the sweep, so reading an unknown sweep writes nothing.
 */

import type { AccuracyLists } from "../src/experiment";
import {
  type ExperimentStatus,
  type ExperimentView,
  effectiveSearch,
  type GridValues,
  gridCombinationAt,
  gridCombinations,
  type StatusCounts,
  type SweepConfig,
  type SweepExperiment,
  type SweepStatus,
  type SweepView,
  storedSweepConfig,
  trialValues,
} from "../src/sweep";
import { PLACED_BY_INDEX, type SweepState, type SweepStore } from "../src/sweep/coordinator-ports";
import { nextPause } from "../src/sweep/halving";
import type { ExperimentRecord, RungMember, SweepRecord } from "../src/sweep/lifecycle";

interface SweepRow extends Record<string, SqlStorageValue> {
  id: string;
  config: string;
  request_hash: string;
  status: SweepStatus;
  created_at: string;
  completed_at: string | null;
}

interface ExperimentRow extends Record<string, SqlStorageValue> {
  idx: number;
  repeat: number;
  weight_scale: number | null;
  seed: number;
  status: ExperimentStatus;
  epochs_done: number;
  lists: string;
  error: string | null;
  last_report: number;
  restarts: number;
  runner: string | null;
  combination: number;
  /** A search trial's drawn values as JSON; null without a search. */
  trial_values: string | null;
  /** Successive halving: where its runner pauses next (null: at the end), and whether it stopped at a rung (0 or 1). */
  pause_at: number | null;
  stopped: number;
  /** The runner process it was started on (null: not yet; PLACED_BY_INDEX: before experiments were placed). */
  shard: number | null;
}

// Single statuses are bound as parameters, each checked against both unions.
const QUEUED = "queued" satisfies ExperimentStatus & SweepStatus;
const RUNNING = "running" satisfies ExperimentStatus & SweepStatus;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sweep (
  id TEXT PRIMARY KEY, config TEXT NOT NULL, request_hash TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, completed_at TEXT
);
CREATE TABLE IF NOT EXISTS experiment (
  idx INTEGER PRIMARY KEY, repeat INTEGER NOT NULL, weight_scale REAL, seed INTEGER NOT NULL,
  status TEXT NOT NULL, epochs_done INTEGER NOT NULL, lists TEXT NOT NULL, error TEXT,
  last_report INTEGER NOT NULL, restarts INTEGER NOT NULL, runner TEXT, combination INTEGER NOT NULL,
  trial_values TEXT, pause_at INTEGER, stopped INTEGER NOT NULL DEFAULT 0, shard INTEGER
);`;

/** Columns added since the first schema, with their definitions: added to a table made before them. */
const ADDED_COLUMNS: Record<string, string> = {
  trial_values: "TEXT",
  pause_at: "INTEGER",
  stopped: "INTEGER NOT NULL DEFAULT 0",
  // Rows made before it: their runners were placed by index, started or not.
  shard: `INTEGER DEFAULT ${PLACED_BY_INDEX}`,
};

/**
 * The sweep's tables; every method is synchronous, so a caller's check and write cannot interleave.
 * What never changes once stored (that the tables exist, the config, where each experiment was
 * started) is read once: every report asked the catalogue and parsed the config several times
 * (reading them once took 13–17% off the coordinator's CPU in a sweep of small experiments).
 * {@link forget} after the storage is deleted.
 */
export class SweepTable implements SweepStore {
  private present = false;
  private config: SweepConfig | undefined;
  /** Each experiment's shard by index, read at the first ask. */
  private shards: (number | null)[] | undefined;

  constructor(private readonly sql: SqlStorage) {
    if (!this.exists()) return;
    // A sweep stored before a column existed gets it (null, or its default): every query can name it.
    const have = new Set(
      this.sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('experiment')")
        .toArray()
        .map((c) => c.name),
    );
    for (const [column, definition] of Object.entries(ADDED_COLUMNS))
      if (!have.has(column)) this.sql.exec(`ALTER TABLE experiment ADD COLUMN ${column} ${definition}`);
  }

  /** Whether this coordinator holds a sweep (reads the catalogue only; creates nothing). */
  exists(): boolean {
    this.present ||= this.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sweep'").toArray().length > 0;
    return this.present;
  }

  /** The storage was deleted: nothing is held any more. */
  forget(): void {
    this.present = false;
    this.config = undefined;
    this.shards = undefined;
  }

  /** The stored config, parsed once and frozen (every caller shares it). */
  private storedConfig(): SweepConfig {
    this.config ??= deepFreeze(
      storedSweepConfig(this.sql.exec<Pick<SweepRow, "config">>("SELECT config FROM sweep").one().config),
    );
    return this.config;
  }

  /** Creates the tables and records the sweep, every experiment queued. */
  insert(
    id: string,
    config: SweepConfig,
    requestHash: string,
    createdAt: string,
    experiments: SweepExperiment[],
    now: number,
  ): void {
    this.sql.exec(SCHEMA);
    this.sql.exec(
      "INSERT INTO sweep (id, config, request_hash, status, created_at) VALUES (?, ?, ?, ?, ?)",
      id,
      JSON.stringify(config),
      requestHash,
      QUEUED,
      createdAt,
    );
    const empty = JSON.stringify({ plain: [], batchNorm: [] } satisfies AccuracyLists);
    const search = effectiveSearch(config);
    const pauseAt = nextPause(config.halving, null);
    for (const e of experiments) {
      this.sql.exec(
        `INSERT INTO experiment (idx, repeat, weight_scale, seed, status, epochs_done, lists, error, last_report, restarts, runner, combination, trial_values, pause_at)
         VALUES (?, ?, ?, ?, ?, 0, ?, NULL, ?, 0, NULL, ?, ?, ?)`,
        e.index,
        e.repeat,
        typeof e.config.weightScale === "number" ? e.config.weightScale : null,
        e.config.seed,
        QUEUED,
        empty,
        now,
        e.combination,
        search ? JSON.stringify(trialValues(search, e.config)) : null,
        pauseAt,
      );
    }
  }

  /** The sweep's id, status, config and request hash, or undefined when none is held. */
  sweep(): { id: string; status: SweepStatus; config: SweepConfig; requestHash: string } | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<SweepRow>("SELECT id, status, request_hash FROM sweep").toArray()[0];
    return row && { id: row.id, status: row.status, config: this.storedConfig(), requestHash: row.request_hash };
  }

  /** The sweep's status, creation and end times, or null when none is held. */
  state(): SweepState | null {
    if (!this.exists()) return null;
    const row = this.sql.exec<SweepRow>("SELECT status, created_at, completed_at FROM sweep").toArray()[0];
    if (!row) return null;
    const epochsDone = this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(epochs_done), 0) AS n FROM experiment").one().n;
    const state: SweepState = { status: row.status, createdAt: row.created_at, epochsDone };
    if (row.completed_at) state.completedAt = row.completed_at;
    return state;
  }

  /** One experiment as the view shows it (what a live viewer is sent on its change), or undefined. */
  experimentView(index: number): ExperimentView | undefined {
    const sweep = this.sweep();
    const row = this.sql.exec<ExperimentRow>("SELECT * FROM experiment WHERE idx = ?", index).toArray()[0];
    if (!sweep || !row) return undefined;
    return experimentView(row, gridCombinationAt(sweep.config.grid, row.combination), sweep.config);
  }

  /** Experiments per status. */
  counts(): StatusCounts {
    const counts: StatusCounts = { queued: 0, running: 0, paused: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const { status, n } of this.sql.exec<{ status: ExperimentStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM experiment GROUP BY status",
    ))
      counts[status] = n;
    return counts;
  }

  /** Indices of experiments with a given status. */
  withStatus(status: ExperimentStatus): number[] {
    return this.sql
      .exec<{ idx: number }>("SELECT idx FROM experiment WHERE status = ? ORDER BY idx", status)
      .toArray()
      .map((r) => r.idx);
  }

  /** The sweep with its experiments, or null when this coordinator holds none. */
  view(): SweepView | null {
    if (!this.exists()) return null;
    const sweep = this.sql.exec<SweepRow>("SELECT id, status, created_at, completed_at FROM sweep").toArray()[0];
    if (!sweep) return null;
    const rows = this.sql.exec<ExperimentRow>("SELECT * FROM experiment ORDER BY idx").toArray();
    const config = this.storedConfig();
    const combinations = gridCombinations(config.grid);
    const view: SweepView = {
      id: sweep.id,
      status: sweep.status,
      config,
      createdAt: sweep.created_at,
      experiments: rows.map((row) => experimentView(row, combinations[row.combination] ?? {}, config)),
    };
    if (sweep.completed_at) view.completedAt = sweep.completed_at;
    return view;
  }

  /** Experiments with a runner working. */
  runningCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM experiment WHERE status = ?", RUNNING).one().n;
  }

  /** Up to `limit` queued experiments, lowest index first. */
  queued(limit: number): number[] {
    return this.sql
      .exec<{ idx: number }>("SELECT idx FROM experiment WHERE status = ? ORDER BY idx LIMIT ?", QUEUED, limit)
      .toArray()
      .map((r) => r.idx);
  }

  /** Running experiments whose runner has said nothing since `before`. */
  quiet(before: number): number[] {
    return this.sql
      .exec<{ idx: number }>("SELECT idx FROM experiment WHERE status = ? AND last_report < ?", RUNNING, before)
      .toArray()
      .map((r) => r.idx);
  }

  /** The sweep's own record, or undefined when none is held. */
  sweepRecord(): SweepRecord | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<SweepRow>("SELECT status, completed_at FROM sweep").toArray()[0];
    return row && { status: row.status, completedAt: row.completed_at };
  }

  /** One experiment's record (its lists parsed), or undefined. */
  experimentRecord(index: number): ExperimentRecord | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<ExperimentRow>("SELECT * FROM experiment WHERE idx = ?", index).toArray()[0];
    return (
      row && {
        index: row.idx,
        status: row.status,
        epochsDone: row.epochs_done,
        lists: JSON.parse(row.lists) as AccuracyLists,
        error: row.error,
        lastReport: row.last_report,
        restarts: row.restarts,
        runner: row.runner,
        pauseAt: row.pause_at,
        stopped: row.stopped === 1,
      }
    );
  }

  /** Every experiment's status and next pause, without its lists. */
  rungStates(): Omit<RungMember, "score">[] {
    return this.sql
      .exec<Pick<ExperimentRow, "idx" | "status" | "pause_at">>("SELECT idx, status, pause_at FROM experiment ORDER BY idx")
      .toArray()
      .map((r) => ({ index: r.idx, status: r.status, pauseAt: r.pause_at }));
  }

  /** Every experiment's status, by index. */
  statuses(): ExperimentStatus[] {
    return this.sql
      .exec<{ status: ExperimentStatus }>("SELECT status FROM experiment ORDER BY idx")
      .toArray()
      .map((r) => r.status);
  }

  /** Stores an experiment's record as the lifecycle made it. */
  saveExperiment(record: ExperimentRecord): void {
    this.sql.exec(
      "UPDATE experiment SET status = ?, epochs_done = ?, lists = ?, error = ?, last_report = ?, restarts = ?, runner = ?, pause_at = ?, stopped = ? WHERE idx = ?",
      record.status,
      record.epochsDone,
      JSON.stringify(record.lists),
      record.error,
      record.lastReport,
      record.restarts,
      record.runner,
      record.pauseAt,
      record.stopped ? 1 : 0,
      record.index,
    );
  }

  shardOf(index: number): number | null {
    if (!this.exists()) return null;
    if (!this.shards) {
      const shards: (number | null)[] = [];
      for (const r of this.sql.exec<Pick<ExperimentRow, "idx" | "shard">>("SELECT idx, shard FROM experiment"))
        shards[r.idx] = r.shard;
      this.shards = shards;
    }
    return this.shards[index] ?? null;
  }

  setShard(index: number, shard: number): void {
    this.sql.exec("UPDATE experiment SET shard = ? WHERE idx = ?", shard, index);
    if (this.shards) this.shards[index] = shard;
  }

  /** Stores the sweep's record as the lifecycle made it. */
  saveSweep(record: SweepRecord): void {
    this.sql.exec("UPDATE sweep SET status = ?, completed_at = ?", record.status, record.completedAt);
  }
}

/** `value` and everything it holds, frozen: a shared object no caller can change under the others. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function experimentView(row: ExperimentRow, gridValues: GridValues, config: SweepConfig): ExperimentView {
  // A search trial's combination is its drawn values.
  const trial = row.trial_values ? (JSON.parse(row.trial_values) as GridValues) : undefined;
  const values = trial ?? gridValues;
  const { plain, batchNorm, testPlain, testBatchNorm, train, test, validation, loss } = JSON.parse(row.lists) as AccuracyLists;
  const view: ExperimentView = {
    index: row.idx,
    weightScale: row.weight_scale,
    seed: row.seed,
    repeat: row.repeat,
    combination: row.combination,
    grid: values,
    status: row.status,
    epochsDone: row.epochs_done,
    plain,
    batchNorm,
  };
  if (testPlain) view.testPlain = testPlain;
  if (testBatchNorm) view.testBatchNorm = testBatchNorm;
  if (train) view.train = train;
  if (test) view.test = test;
  if (validation) view.validation = validation;
  if (loss) view.loss = loss;
  const search = effectiveSearch(config);
  if (trial && search) Object.assign(view, { trial: row.combination % search.trials, ...trial });
  if (config.study !== "batchNorm") {
    // Lists only the Batch Norm study fills are left out of the other studies' experiments.
    const lean: Partial<ExperimentView> = view;
    delete lean.plain;
    delete lean.batchNorm;
  }
  if (row.error) view.error = row.error;
  if (row.stopped === 1) view.stopped = true;
  if (row.runner !== null) view.runner = row.runner;
  return view;
}
