/** The RESULTS KV namespace: finished sweeps' results and an index of all sweeps, newest first. */

import type { SweepSummary, SweepView } from "../src/sweep-view";

const RESULT_PREFIX = "result:";
const INDEX_PREFIX = "index:";
/** Index keys sort newest first: this minus the creation time in ms, zero-padded. */
const TIME_CEILING = 9_999_999_999_999;

function indexKey(summary: Pick<SweepSummary, "id" | "createdAt">): string {
  const inverted = TIME_CEILING - Date.parse(summary.createdAt);
  return `${INDEX_PREFIX}${String(inverted).padStart(13, "0")}:${summary.id}`;
}

/** Reads and writes sweeps in KV. */
export class ResultsStore {
  constructor(private readonly kv: KVNamespace) {}

  /** Stores the aggregated results of a finished sweep. */
  async putResult(view: SweepView): Promise<void> {
    await this.kv.put(`${RESULT_PREFIX}${view.id}`, JSON.stringify(view));
  }

  /** The results of a finished sweep, or null while it runs or when unknown. */
  async getResult(id: string): Promise<SweepView | null> {
    return this.kv.get<SweepView>(`${RESULT_PREFIX}${id}`, "json");
  }

  /** Forgets a sweep's results (a retried experiment makes it run again). */
  async deleteResult(id: string): Promise<void> {
    await this.kv.delete(`${RESULT_PREFIX}${id}`);
  }

  /** Writes or updates a sweep's index entry. */
  async putSummary(summary: SweepSummary): Promise<void> {
    await this.kv.put(indexKey(summary), "", { metadata: summary });
  }

  /** Up to `limit` sweeps, newest first. */
  async listSummaries(limit = 100): Promise<SweepSummary[]> {
    const page = await this.kv.list<SweepSummary>({ prefix: INDEX_PREFIX, limit });
    return page.keys.flatMap((k) => (k.metadata ? [k.metadata] : []));
  }
}
