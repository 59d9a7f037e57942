/**
 * SweepCoordinator: one Durable Object per sweep.
 * - keeps the sweep and its experiments in SQLite storage, written in transactions;
 * - fans the experiments out to ExperimentRunners from its alarm, at most MAX_PARALLEL_RUNNERS at
 *   a time, and receives their reports;
 * - runs a watchdog on the same alarm that wakes runners gone quiet;
 * - when every experiment is final, writes the results, then the index entry, to KV, and only
 *   then marks the sweep final, so a crash in between is finished by the next alarm.
 */

import { DurableObject } from "cloudflare:workers";
import { type SweepConfig, sweepExperiments } from "../src/sweep-config";
import {
  type AccuracyLists,
  type ExperimentStatus,
  type ExperimentView,
  FINAL_EXPERIMENT_STATUSES,
  FINAL_SWEEP_STATUSES,
  finalSweepStatus,
  type SweepStatus,
  type SweepSummary,
  type SweepView,
} from "../src/sweep-view";
import { type Env, tuning } from "./env";
import type { RunnerReport } from "./experiment-runner";
import { ResultsStore } from "./results-store";

/** Why a request to the coordinator cannot be done. */
export type CoordinatorRefusal = { refused: "not_found" | "conflict"; message: string };

interface SweepRow extends Record<string, SqlStorageValue> {
  id: string;
  config: string;
  status: SweepStatus;
  created_at: string;
  completed_at: string | null;
}

interface ExperimentRow extends Record<string, SqlStorageValue> {
  idx: number;
  repeat: number;
  weight_scale: number;
  seed: number;
  status: ExperimentStatus;
  epochs_done: number;
  lists: string;
  error: string | null;
  last_report: number;
  restarts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sweep (
  id TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, completed_at TEXT
);
CREATE TABLE IF NOT EXISTS experiment (
  idx INTEGER PRIMARY KEY, repeat INTEGER NOT NULL, weight_scale REAL NOT NULL, seed INTEGER NOT NULL,
  status TEXT NOT NULL, epochs_done INTEGER NOT NULL, lists TEXT NOT NULL, error TEXT,
  last_report INTEGER NOT NULL, restarts INTEGER NOT NULL
);`;

export class SweepCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly store: ResultsStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.store = new ResultsStore(env.RESULTS);
    this.sql.exec(SCHEMA);
  }

  /** Records a new sweep and schedules its fan-out; for an existing sweep, returns it unchanged. */
  async create(id: string, config: SweepConfig, createdAt: string): Promise<SweepView> {
    const existing = this.view();
    if (existing) return existing;
    const experiments = sweepExperiments(config);
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO sweep (id, config, status, created_at) VALUES (?, ?, 'queued', ?)",
        id,
        JSON.stringify(config),
        createdAt,
      );
      for (const e of experiments) {
        this.sql.exec(
          "INSERT INTO experiment VALUES (?, ?, ?, ?, 'queued', 0, ?, NULL, ?, 0)",
          e.index,
          e.repeat,
          e.config.weightScale as number,
          e.config.seed,
          JSON.stringify({ plain: [], batchNorm: [] }),
          now,
        );
      }
    });
    await this.ctx.storage.setAlarm(now);
    const view = this.view() as SweepView;
    await this.store.putSummary(summaryOf(view));
    return view;
  }

  /** The sweep with its experiments, or null when this coordinator holds none. */
  view(): SweepView | null {
    const sweep = this.sql.exec<SweepRow>("SELECT * FROM sweep").toArray()[0];
    if (!sweep) return null;
    const rows = this.sql.exec<ExperimentRow>("SELECT * FROM experiment ORDER BY idx").toArray();
    const view: SweepView = {
      id: sweep.id,
      status: sweep.status,
      config: JSON.parse(sweep.config) as SweepConfig,
      createdAt: sweep.created_at,
      experiments: rows.map(experimentView),
    };
    if (sweep.completed_at) view.completedAt = sweep.completed_at;
    return view;
  }

  /**
   * Takes a runner's report of a slice. Returns false when the runner should stop and delete its
   * storage: its sweep is gone or cancelled (a cancel can cross a runner's start).
   */
  async report(index: number, report: RunnerReport): Promise<boolean> {
    const sweep = this.sweepRow();
    const row = this.experimentRow(index);
    if (!sweep || !row || sweep.status === "cancelled") return false;
    if (FINAL_SWEEP_STATUSES.includes(sweep.status) || FINAL_EXPERIMENT_STATUSES.includes(row.status)) return true;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      if ("lists" in report) {
        this.sql.exec(
          "UPDATE experiment SET status = ?, epochs_done = ?, lists = ?, error = NULL, last_report = ? WHERE idx = ?",
          report.status,
          report.epochsDone,
          JSON.stringify(report.lists),
          now,
          index,
        );
      } else {
        const status = report.status === "failed" ? "failed" : "running";
        this.sql.exec(
          "UPDATE experiment SET status = ?, error = ?, last_report = ? WHERE idx = ?",
          status,
          report.error,
          now,
          index,
        );
      }
      if (sweep.status === "queued") this.sql.exec("UPDATE sweep SET status = 'running'");
    });
    if (sweep.status === "queued") await this.store.putSummary(summaryOf(this.view() as SweepView));
    const freedARunner = report.status === "completed" || report.status === "failed";
    // A runner's place is free: the alarm starts the next queued experiment now.
    if (freedARunner && this.sql.exec("SELECT idx FROM experiment WHERE status = 'queued' LIMIT 1").toArray().length > 0) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    await this.finishIfDone();
    return true;
  }

  /** Cancels every runner and deletes their storage; refused for a finished sweep. */
  async cancel(): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.sweepRow();
    if (!sweep) return { refused: "not_found", message: "no such sweep" };
    if (FINAL_SWEEP_STATUSES.includes(sweep.status)) {
      return {
        refused: "conflict",
        message: `sweep is already ${sweep.status}; only a queued or running sweep can be cancelled`,
      };
    }
    const experiments = this.sql.exec<ExperimentRow>("SELECT * FROM experiment").toArray();
    await Promise.all(experiments.map((e) => this.runner(sweep.id, e.idx).cancel()));
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE experiment SET status = 'cancelled' WHERE status NOT IN ('completed', 'failed')");
      this.sql.exec("UPDATE sweep SET status = 'cancelled', completed_at = ?", new Date().toISOString());
    });
    await this.ctx.storage.deleteAlarm();
    const view = this.view() as SweepView;
    await this.store.putSummary(summaryOf(view));
    return view;
  }

  /** Re-runs a failed experiment from its last checkpoint; the sweep runs again until it is final. */
  async retry(index: number): Promise<SweepView | CoordinatorRefusal> {
    const sweep = this.sweepRow();
    const row = this.experimentRow(index);
    if (!sweep || !row)
      return { refused: "not_found", message: sweep ? `no experiment ${index} in this sweep` : "no such sweep" };
    if (row.status !== "failed" || sweep.status === "cancelled") {
      return {
        refused: "conflict",
        message: `experiment ${index} is ${row.status}; only a failed experiment of a live sweep can be retried`,
      };
    }
    await this.store.deleteResult(sweep.id);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE experiment SET status = 'running', error = NULL, last_report = ? WHERE idx = ?", Date.now(), index);
      this.sql.exec("UPDATE sweep SET status = 'running', completed_at = NULL");
    });
    await this.runner(sweep.id, index).retry();
    await this.ctx.storage.setAlarm(Date.now() + tuning(this.env, "WATCHDOG_INTERVAL_MS"));
    const view = this.view() as SweepView;
    await this.store.putSummary(summaryOf(view));
    return view;
  }

  /** Fan-out of queued experiments, then the watchdog; re-arms itself until the sweep is final. */
  override async alarm(): Promise<void> {
    const sweep = this.sweepRow();
    if (!sweep || FINAL_SWEEP_STATUSES.includes(sweep.status)) return;
    const config = JSON.parse(sweep.config) as SweepConfig;
    const byIndex = new Map(sweepExperiments(config).map((e) => [e.index, e]));
    const now = Date.now();
    const running = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM experiment WHERE status = 'running'").one().n;
    const free = Math.max(0, tuning(this.env, "MAX_PARALLEL_RUNNERS") - running);
    const queued = this.sql
      .exec<ExperimentRow>("SELECT * FROM experiment WHERE status = 'queued' ORDER BY idx LIMIT ?", free)
      .toArray();
    await Promise.all(
      queued.map(async (row) => {
        const e = byIndex.get(row.idx);
        if (!e) return;
        await this.runner(sweep.id, row.idx).start({ sweepId: sweep.id, index: row.idx, config: e.config });
        this.sql.exec(
          "UPDATE experiment SET status = 'running', last_report = ? WHERE idx = ? AND status = 'queued'",
          now,
          row.idx,
        );
      }),
    );
    const stallMs = tuning(this.env, "WATCHDOG_STALL_MS");
    const quiet = this.sql
      .exec<ExperimentRow>("SELECT * FROM experiment WHERE status = 'running' AND last_report < ?", now - stallMs)
      .toArray();
    for (const row of quiet) {
      if (await this.runner(sweep.id, row.idx).kick()) {
        this.sql.exec("UPDATE experiment SET restarts = restarts + 1, last_report = ? WHERE idx = ?", now, row.idx);
      }
    }
    await this.finishIfDone();
    if (!FINAL_SWEEP_STATUSES.includes(this.sweepRow()?.status ?? "cancelled")) {
      await this.ctx.storage.setAlarm(Date.now() + tuning(this.env, "WATCHDOG_INTERVAL_MS"));
    }
  }

  /** When every experiment is final: results and index to KV, then the sweep's final status. */
  private async finishIfDone(): Promise<void> {
    const open = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM experiment WHERE status IN ('queued', 'running')")
      .one().n;
    if (open > 0) return;
    const view = this.view() as SweepView;
    if (FINAL_SWEEP_STATUSES.includes(view.status)) return;
    const final: SweepView = { ...view, status: finalSweepStatus(view.experiments), completedAt: new Date().toISOString() };
    await this.store.putResult(final);
    await this.store.putSummary(summaryOf(final));
    this.sql.exec("UPDATE sweep SET status = ?, completed_at = ?", final.status, final.completedAt as string);
    await this.ctx.storage.deleteAlarm();
  }

  private sweepRow(): SweepRow | undefined {
    return this.sql.exec<SweepRow>("SELECT * FROM sweep").toArray()[0];
  }

  private experimentRow(index: number): ExperimentRow | undefined {
    return this.sql.exec<ExperimentRow>("SELECT * FROM experiment WHERE idx = ?", index).toArray()[0];
  }

  private runner(sweepId: string, index: number) {
    return this.env.RUNNERS.get(this.env.RUNNERS.idFromName(runnerName(sweepId, index)));
  }
}

/** The name of the runner of experiment `index` of a sweep. */
export function runnerName(sweepId: string, index: number): string {
  return `${sweepId}:${index}`;
}

function experimentView(row: ExperimentRow): ExperimentView {
  const lists = JSON.parse(row.lists) as AccuracyLists;
  const view: ExperimentView = {
    index: row.idx,
    weightScale: row.weight_scale,
    seed: row.seed,
    repeat: row.repeat,
    status: row.status,
    epochsDone: row.epochs_done,
    ...lists,
  };
  if (row.error) view.error = row.error;
  return view;
}

function summaryOf(view: SweepView): SweepSummary {
  const summary: SweepSummary = {
    id: view.id,
    status: view.status,
    createdAt: view.createdAt,
    experiments: view.experiments.length,
  };
  if (view.completedAt) summary.completedAt = view.completedAt;
  return summary;
}
