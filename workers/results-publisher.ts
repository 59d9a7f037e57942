/** The coordinator's KV publisher (src/sweep/kv-publisher.ts) with its write log in a SQLite table. */

import { KvPublisher, type LoggedWrite, type WriteLog } from "../src/sweep/kv-publisher";
import type { ResultsStore } from "./results-store";

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS kv_write (key TEXT PRIMARY KEY, written_at INTEGER NOT NULL, pending INTEGER NOT NULL, signature TEXT NOT NULL)";

interface WriteRow extends Record<string, SqlStorageValue> {
  written_at: number;
  pending: number;
  signature: string;
}

/** The write log as the `kv_write` table, made when first used. */
class SqlWriteLog implements WriteLog {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): LoggedWrite | undefined {
    this.sql.exec(SCHEMA);
    const row = this.sql.exec<WriteRow>("SELECT * FROM kv_write WHERE key = ?", key).toArray()[0];
    return row && { writtenAt: row.written_at, pending: row.pending === 1, signature: row.signature };
  }

  markPending(key: string): void {
    this.sql.exec("UPDATE kv_write SET pending = 1 WHERE key = ?", key);
  }

  begin(key: string, at: number, signature: string): void {
    this.sql.exec(SCHEMA);
    this.sql.exec(
      "INSERT INTO kv_write VALUES (?, ?, 1, ?) ON CONFLICT(key) DO UPDATE SET written_at = ?, pending = 1, signature = ?",
      key,
      at,
      signature,
      at,
      signature,
    );
  }

  done(key: string, at: number): void {
    this.sql.exec("UPDATE kv_write SET pending = 0 WHERE key = ? AND written_at = ?", key, at);
  }
}

/** A sweep's publisher on its coordinator's SQLite. */
export class ResultsPublisher extends KvPublisher {
  constructor(sql: SqlStorage, store: ResultsStore) {
    super(new SqlWriteLog(sql), store);
  }
}
