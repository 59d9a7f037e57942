/**
 * A coordinator's writes to KV: the sweep's index entry, and its results once final. KV takes at
 * most one write per key per second, so a write that comes sooner is left pending in the write log
 * and done by the coordinator's alarm at the time {@link KvPublisher.publish} returns. Over ports:
 * the Durable Object's log is a SQLite table, the simulator's a map.
 */

import { KV_WRITE_INTERVAL_MS } from "./coordinator-ports";
import { isFinalSweep, type SweepSummary, type SweepView, summaryOf, totalEpochsDone } from "./view";

/** The last write of a key, as the log keeps it. */
export interface LoggedWrite {
  writtenAt: number;
  /** Owed: left for later, or begun and not known to have succeeded. */
  pending: boolean;
  /** What the key holds (or will once the write is done). */
  signature: string;
}

/** Where a publisher remembers its writes (kept across crashes). */
export interface WriteLog {
  get(key: string): LoggedWrite | undefined;
  /** A write left for later. */
  markPending(key: string): void;
  /** A write begun at `at`, to hold `signature`. */
  begin(key: string, at: number, signature: string): void;
  /** The write begun at `at` succeeded. */
  done(key: string, at: number): void;
}

/** KV, as the publisher writes it. */
export interface ResultsKv {
  summaryKey(summary: Pick<SweepSummary, "id" | "createdAt">): string;
  resultKey(id: string): string;
  putSummary(summary: SweepSummary): Promise<void>;
  putResult(view: SweepView): Promise<void>;
  deleteResult(id: string): Promise<void>;
  deleteSummary(summary: Pick<SweepSummary, "id" | "createdAt">): Promise<void>;
}

/** Publishes one sweep, coalescing writes per key. */
export class KvPublisher {
  /** `clock` is read at each write: a write's time is when it happens, after any wait before it. */
  constructor(
    private readonly log: WriteLog,
    private readonly kv: ResultsKv,
    private readonly clock: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Writes what the view says (index entry; results when final, none otherwise) where KV allows
   * it now; returns when the remaining writes are due, or null when nothing is pending.
   */
  async publish(view: SweepView): Promise<number | null> {
    const final = isFinalSweep(view.status);
    const summary = summaryOf(view);
    // Each key with what it should hold (its signature) and how to write it; a key that already
    // holds it is not written again.
    const writes: [string, string, () => Promise<void>][] = [
      [this.kv.summaryKey(view), JSON.stringify(summary), () => this.kv.putSummary(summary)],
      [
        this.kv.resultKey(view.id),
        final ? `${view.status} ${view.completedAt} ${totalEpochsDone(view)}` : "none",
        () => (final ? this.kv.putResult(view) : this.kv.deleteResult(view.id)),
      ],
    ];
    let due: number | null = null;
    for (const [key, signature, write] of writes) {
      const now = this.clock();
      const last = this.log.get(key);
      if ((last ? last.signature : "none") === signature && !last?.pending) continue;
      const allowedAt = last ? last.writtenAt + KV_WRITE_INTERVAL_MS : 0;
      if (now < allowedAt) {
        this.log.markPending(key);
        due = Math.min(due ?? allowedAt, allowedAt);
        continue;
      }
      // Recorded before the write: a write that fails is retried, one that succeeded is never repeated too soon.
      this.log.begin(key, now, signature);
      await write();
      this.log.done(key, now);
    }
    return due;
  }

  /**
   * Deletes the sweep's index entry and results from KV (a purge), each no sooner than KV allows
   * after its last write.
   */
  async unpublish(view: SweepView): Promise<void> {
    const deletes: [string, () => Promise<void>][] = [
      [this.kv.summaryKey(view), () => this.kv.deleteSummary(view)],
      [this.kv.resultKey(view.id), () => this.kv.deleteResult(view.id)],
    ];
    for (const [key, remove] of deletes) {
      const last = this.log.get(key);
      const wait = last ? last.writtenAt + KV_WRITE_INTERVAL_MS - this.clock() : 0;
      if (wait > 0) await this.wait(wait);
      const at = this.clock();
      this.log.begin(key, at, "deleted");
      await remove();
      this.log.done(key, at);
    }
  }
}
