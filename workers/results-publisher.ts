/**
 * A coordinator's writes to KV: the sweep's index entry, and its results once final. KV takes at
 * most one write per key per second, so a write that comes sooner is left pending (in SQLite) and
 * done by the coordinator's alarm at the time {@link ResultsPublisher.publish} returns.
 */

import { isFinalSweep, type SweepView, totalEpochsDone } from "../src/sweep";
import { KV_WRITE_INTERVAL_MS } from "../src/sweep/coordinator-ports";
import { type ResultsStore, summaryOf } from "./results-store";

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS kv_write (key TEXT PRIMARY KEY, written_at INTEGER NOT NULL, pending INTEGER NOT NULL, signature TEXT NOT NULL)";

interface WriteRow extends Record<string, SqlStorageValue> {
  written_at: number;
  pending: number;
  signature: string;
}

/** Publishes one sweep, coalescing writes per key. */
export class ResultsPublisher {
  constructor(
    private readonly sql: SqlStorage,
    private readonly store: ResultsStore,
  ) {}

  /**
   * Writes what the view says (index entry; results when final, none otherwise) where KV allows
   * it now; returns when the remaining writes are due, or null when nothing is pending.
   */
  async publish(view: SweepView, now = Date.now()): Promise<number | null> {
    this.sql.exec(SCHEMA);
    const final = isFinalSweep(view.status);
    const summary = summaryOf(view);
    // Each key with what it should hold (its signature) and how to write it; a key that already
    // holds it is not written again.
    const writes: [string, string, () => Promise<void>][] = [
      [this.store.summaryKey(view), JSON.stringify(summary), () => this.store.putSummary(summary)],
      [
        this.store.resultKey(view.id),
        final ? `${view.status} ${view.completedAt} ${totalEpochsDone(view)}` : "none",
        () => (final ? this.store.putResult(view) : this.store.deleteResult(view.id)),
      ],
    ];
    let due: number | null = null;
    for (const [key, signature, write] of writes) {
      const last = this.sql.exec<WriteRow>("SELECT * FROM kv_write WHERE key = ?", key).toArray()[0];
      if ((last ? last.signature : "none") === signature && !last?.pending) continue;
      const allowedAt = last ? last.written_at + KV_WRITE_INTERVAL_MS : 0;
      if (now < allowedAt) {
        this.sql.exec("UPDATE kv_write SET pending = 1 WHERE key = ?", key);
        due = Math.min(due ?? allowedAt, allowedAt);
        continue;
      }
      // Recorded before the write: a write that fails is retried, one that succeeded is never repeated too soon.
      this.sql.exec(
        "INSERT INTO kv_write VALUES (?, ?, 1, ?) ON CONFLICT(key) DO UPDATE SET written_at = ?, pending = 1, signature = ?",
        key,
        now,
        signature,
        now,
        signature,
      );
      await write();
      this.sql.exec("UPDATE kv_write SET pending = 0 WHERE key = ? AND written_at = ?", key, now);
    }
    return due;
  }

  /**
   * Deletes the sweep's index entry and results from KV (a purge), each no sooner than KV allows
   * after its last write.
   */
  async unpublish(view: SweepView, now = Date.now()): Promise<void> {
    this.sql.exec(SCHEMA);
    const deletes: [string, () => Promise<void>][] = [
      [this.store.summaryKey(view), () => this.store.deleteSummary(view)],
      [this.store.resultKey(view.id), () => this.store.deleteResult(view.id)],
    ];
    for (const [key, remove] of deletes) {
      const last = this.sql.exec<WriteRow>("SELECT * FROM kv_write WHERE key = ?", key).toArray()[0];
      const wait = last ? last.written_at + KV_WRITE_INTERVAL_MS - now : 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await remove();
    }
  }

  /** Whether a write is still owed (a pending one, or one that failed). */
  pending(): boolean {
    this.sql.exec(SCHEMA);
    return this.sql.exec("SELECT key FROM kv_write WHERE pending = 1").toArray().length > 0;
  }
}
