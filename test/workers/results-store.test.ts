import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SweepSummary } from "../../src/sweep/view";
import { ResultsStore } from "../../workers/results-store";
import { api } from "./helpers";

describe("the list of sweeps", () => {
  it("pages past 100 with a cursor, newest first, every sweep once", async () => {
    const store = new ResultsStore(env.RESULTS);
    const made: string[] = [];
    for (let i = 0; i < 105; i++) {
      const id = i.toString(16).padStart(32, "c");
      made.push(id);
      await store.putSummary({
        id,
        status: "completed",
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        experiments: 1,
      });
    }
    const seen: SweepSummary[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api(`/api/sweeps${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
      const page = (await res.json()) as { sweeps: SweepSummary[]; cursor?: string };
      if (pages === 0) expect(page.sweeps).toHaveLength(100);
      seen.push(...page.sweeps);
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    const ours = seen.filter((s) => made.includes(s.id)).map((s) => s.id);
    expect(ours).toEqual([...made].reverse());
    expect(pages).toBeGreaterThanOrEqual(2);
  });
});
