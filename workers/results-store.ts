/** The RESULTS KV namespace: finished sweeps' results and an index of all sweeps, newest first. */

import type { SweepSummary, SweepView } from "../src/sweep";
import type { ResultsKv } from "../src/sweep/kv-publisher";

export { summaryOf } from "../src/sweep/view";

const RESULT_PREFIX = "result:";
const INDEX_PREFIX = "index:";
/** Index keys sort newest first: this minus the creation time in ms, zero-padded. */
const TIME_CEILING = 9_999_999_999_999;

/** One page of the sweep list, with the cursor of the next when there is one. */
export interface SummaryPage {
  sweeps: SweepSummary[];
  cursor?: string;
}

/** Reads and writes sweeps in KV. */
export class ResultsStore implements ResultsKv {
  constructor(private readonly kv: KVNamespace) {}

  /** The key of a sweep's results. */
  resultKey(id: string): string {
    return `${RESULT_PREFIX}${id}`;
  }

  /** The key of a sweep's index entry. */
  summaryKey(summary: Pick<SweepSummary, "id" | "createdAt">): string {
    const inverted = TIME_CEILING - Date.parse(summary.createdAt);
    return `${INDEX_PREFIX}${String(inverted).padStart(13, "0")}:${summary.id}`;
  }

  /** Stores the aggregated results of a finished sweep. */
  async putResult(view: SweepView): Promise<void> {
    await this.kv.put(this.resultKey(view.id), JSON.stringify(view));
  }

  /** The results of a finished sweep, or null while it runs or when unknown. */
  async getResult(id: string): Promise<SweepView | null> {
    return this.kv.get<SweepView>(this.resultKey(id), "json");
  }

  /** Forgets a sweep's results (a retried experiment makes it run again). */
  async deleteResult(id: string): Promise<void> {
    await this.kv.delete(this.resultKey(id));
  }

  /** Writes or updates a sweep's index entry. */
  async putSummary(summary: SweepSummary): Promise<void> {
    await this.kv.put(this.summaryKey(summary), "", { metadata: summary });
  }

  /** Removes a sweep's index entry. */
  async deleteSummary(summary: Pick<SweepSummary, "id" | "createdAt">): Promise<void> {
    await this.kv.delete(this.summaryKey(summary));
  }

  /** Up to `limit` sweeps, newest first, from `cursor` on. */
  async listSummaries(limit = 100, cursor?: string): Promise<SummaryPage> {
    const page = await this.kv.list<SweepSummary>({ prefix: INDEX_PREFIX, limit, cursor });
    const sweeps = page.keys.flatMap((k) => (k.metadata ? [k.metadata] : []));
    return page.list_complete ? { sweeps } : { sweeps, cursor: page.cursor };
  }
}
