/**
 * Quota: one Durable Object for the whole deployment, the spending limit.
 * - Places: at most MAX_RUNNING_EXPERIMENTS experiments run across all sweeps. A coordinator asks
 *   for places before it starts runners and gives them back as experiments end; sweeps that find
 *   none wait their turn in order, and the first is woken when places free up.
 * - Work: the multiply-adds admitted per UTC day (DAILY_WORK_LIMIT), reserved once per sweep id
 *   at its POST, so a retried POST is not counted twice.
 * Every method checks and writes synchronously: calls cannot interleave between a check and its write.
 */

import { DurableObject } from "cloudflare:workers";
import { type Env, tuning } from "./env";
import { coordinatorOf } from "./stubs";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS place (sweep_id TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (sweep_id, idx));
CREATE TABLE IF NOT EXISTS waiting (seq INTEGER PRIMARY KEY AUTOINCREMENT, sweep_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS reservation (sweep_id TEXT PRIMARY KEY, day TEXT NOT NULL, work REAL NOT NULL);`;

/** The day's work: what was admitted, the limit and what is left, and when the day ends. */
export interface DayFigures {
  day: string;
  used: number;
  limit: number;
  left: number;
  /** Seconds until the next UTC day. */
  resetsInSeconds: number;
}

/** What a request for places gets: the places granted now, and where the sweep stands when not all were. */
export interface Places {
  granted: number[];
  running: number;
  limit: number;
  /** Sweeps waiting before this one. */
  ahead: number;
}

function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

export class Quota extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Today's figures. */
  today(now = Date.now()): DayFigures {
    const day = dayOf(now);
    const used = this.sql.exec<{ w: number }>("SELECT COALESCE(SUM(work), 0) AS w FROM reservation WHERE day = ?", day).one().w;
    const limit = tuning(this.env, "DAILY_WORK_LIMIT");
    const midnight = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate() + 1);
    return { day, used, limit, left: Math.max(0, limit - used), resetsInSeconds: Math.ceil((midnight - now) / 1000) };
  }

  /** Reserves a sweep's work in today's budget; once per sweep id. Refused (nothing reserved) past the limit. */
  reserveWork(sweepId: string, work: number, now = Date.now()): { admitted: boolean; today: DayFigures } {
    const held = this.sql.exec("SELECT day FROM reservation WHERE sweep_id = ?", sweepId).toArray();
    if (held.length > 0) return { admitted: true, today: this.today(now) };
    const today = this.today(now);
    if (today.used + work > today.limit) return { admitted: false, today };
    this.sql.exec("INSERT INTO reservation VALUES (?, ?, ?)", sweepId, today.day, work);
    // Older days are kept only as long as they can matter: one week of history.
    this.sql.exec("DELETE FROM reservation WHERE day < ?", dayOf(now - 7 * 24 * 60 * 60 * 1000));
    return { admitted: true, today: this.today(now) };
  }

  /**
   * Places for experiments `wanted` of a sweep: those it holds already, and as many more as are
   * free, unless sweeps that waited longer are still waiting. A sweep not granted all it wanted
   * waits its turn (unless `queue` is false: a retry asks once).
   */
  acquire(sweepId: string, wanted: number[], { queue = true }: { queue?: boolean } = {}): Places {
    const limit = tuning(this.env, "MAX_RUNNING_EXPERIMENTS");
    const held = new Set(
      this.sql
        .exec<{ idx: number }>("SELECT idx FROM place WHERE sweep_id = ?", sweepId)
        .toArray()
        .map((r) => r.idx),
    );
    const granted = wanted.filter((i) => held.has(i));
    const rest = wanted.filter((i) => !held.has(i));
    const mine = this.sql.exec<{ seq: number }>("SELECT seq FROM waiting WHERE sweep_id = ?", sweepId).toArray()[0];
    const ahead = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM waiting WHERE seq < ?", mine ? mine.seq : Number.MAX_SAFE_INTEGER)
      .one().n;
    let running = this.running();
    if (ahead === 0) {
      for (const i of rest.slice(0, Math.max(0, limit - running))) {
        this.sql.exec("INSERT INTO place VALUES (?, ?)", sweepId, i);
        granted.push(i);
      }
      running = this.running();
    }
    // A caller that does not queue (a retry, answered at once) leaves no waiting row behind.
    if (granted.length < wanted.length && queue) {
      if (!mine) this.sql.exec("INSERT INTO waiting (sweep_id) VALUES (?)", sweepId);
    } else if (mine && granted.length === wanted.length) this.sql.exec("DELETE FROM waiting WHERE sweep_id = ?", sweepId);
    return { granted, running, limit, ahead };
  }

  /** Gives back the places of experiments that ended (all of the sweep's when `indices` is omitted); wakes the next waiting sweep. */
  async release(sweepId: string, indices?: number[]): Promise<void> {
    if (indices === undefined) {
      this.sql.exec("DELETE FROM place WHERE sweep_id = ?", sweepId);
      this.sql.exec("DELETE FROM waiting WHERE sweep_id = ?", sweepId);
    } else for (const i of indices) this.sql.exec("DELETE FROM place WHERE sweep_id = ? AND idx = ?", sweepId, i);
    const next = this.sql.exec<{ sweep_id: string }>("SELECT sweep_id FROM waiting ORDER BY seq LIMIT 1").toArray()[0];
    if (next && next.sweep_id !== sweepId && this.running() < tuning(this.env, "MAX_RUNNING_EXPERIMENTS")) {
      // Best effort: a sweep not woken now asks again at its next alarm.
      await coordinatorOf(this.env, next.sweep_id)
        .wake()
        .catch(() => undefined);
    }
  }

  private running(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM place").one().n;
  }
}
