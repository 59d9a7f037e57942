import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepExperiments } from "../../src/sweep/config";
import { CSV_HEADER } from "../../src/sweep/results-csv";
import type { RunnerReport } from "../../src/sweep/runner-protocol";
import type { SweepSummary } from "../../src/sweep/view";
import type { Env } from "../../workers/env";
import { sweepIdFor } from "../../workers/sweep-id";
import { api, getSweep, isFinal, runEngine, runnerStub, startSweep, waitForSweep, withStubMethods } from "./helpers";

const SMALL = { weightScales: [0.05, 0.01], epochs: 3, trainSize: 200, seed: 5, testSize: 100 };

describe("a small sweep over HTTP", () => {
  it("completes with the lists the engine gives directly, and serves them as JSON, CSV and SVG", async () => {
    const id = await startSweep(SMALL);
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.completedAt).toBeTypeOf("string");
    expect(done.config).toMatchObject({
      ...SMALL,
      repeats: 1,
      batchSize: 100,
      learningRate: 0.01,
      hiddenSizes: [100, 100, 100, 100, 100],
    });

    const expected = sweepExperiments(done.config);
    expect(done.experiments).toHaveLength(2);
    for (const e of done.experiments) {
      const direct = await runEngine(expected[e.index].config);
      expect(e).toMatchObject({
        status: "completed",
        epochsDone: 3,
        weightScale: SMALL.weightScales[e.index],
        seed: 5,
        repeat: 0,
      });
      expect(e.plain).toEqual(direct.plain);
      expect(e.batchNorm).toEqual(direct.batchNorm);
      expect(e.testPlain).toEqual(direct.testPlain);
      expect(e.testBatchNorm).toEqual(direct.testBatchNorm);
    }

    // KV is written once the sweep is final here, a moment after a reader may see it final.
    await expect.poll(() => env.RESULTS.get(`result:${id}`, "json"), { timeout: 5000 }).toEqual(done);

    const csv = await api(`/api/sweeps/${id}/results.csv`);
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toBe(CSV_HEADER);
    expect(lines).toHaveLength(1 + 2 * 2 * 2 * 3); // experiments × networks × splits × epochs
    expect(lines[1]).toBe(`0,0.05,5,0,batchnorm,train,0,${done.experiments[0].batchNorm?.[0]}`);

    const svg = await api(`/api/sweeps/${id}/plot.svg`);
    expect(svg.headers.get("Content-Type")).toMatch(/^image\/svg\+xml/);
    const text = await svg.text();
    expect(text.match(/<g class="panel"/g)).toHaveLength(2);
    expect(text.match(/<path class="curve"/g)).toHaveLength(4);

    // The list is KV's, written at most once a second per key: it catches up within seconds.
    let listed: SweepSummary | undefined;
    for (let tries = 0; tries < 60 && listed?.status !== "completed"; tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 100));
      const list = (await (await api("/api/sweeps")).json()) as { sweeps: SweepSummary[] };
      listed = list.sweeps.find((s) => s.id === id);
    }
    expect(listed).toMatchObject({ status: "completed", experiments: 2 });
  });

  it("reports progress while it runs: a report per slice, the lists growing epoch by epoch", async () => {
    const key = "progress-per-slice-1";
    const id = await sweepIdFor(key);
    // What the runner reports, seen on its way (not by polling: a fast machine could finish between polls).
    const reported: number[] = [];
    await runInDurableObject(runnerStub(id, 0), (instance) => {
      const runner = instance as unknown as { env: Env };
      runner.env = {
        ...runner.env,
        SWEEPS: withStubMethods(env.SWEEPS, (stub: { report(index: number, report: RunnerReport): Promise<unknown> }) => ({
          report: (index: number, report: RunnerReport) => {
            if ("epochsDone" in report) reported.push(report.epochsDone);
            return stub.report(index, report);
          },
        })),
      };
    });
    await startSweep({ weightScales: [0.02], epochs: 6, trainSize: 200, seed: 9 }, { "Idempotency-Key": key });
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments[0].plain).toHaveLength(6);
    // SLICE_WORK 2e8 here: 200 images and a batch of 100 make two iterations an epoch, several slices in all.
    expect(reported.length).toBeGreaterThan(2);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
    expect(reported.at(-1)).toBe(6);
  });

  it("returns the same sweep for a retried POST with the same Idempotency-Key", async () => {
    const headers = { "Idempotency-Key": "retry-me-1" };
    const first = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 }, headers);
    const second = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 }, headers);
    expect(second).toBe(first);
    const other = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 }, { "Idempotency-Key": "retry-me-2" });
    expect(other).not.toBe(first);
    await waitForSweep(first, isFinal);
  });

  it("lists sweeps newest first", async () => {
    const a = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 });
    await new Promise((r) => setTimeout(r, 5));
    const b = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 });
    const { sweeps } = (await (await api("/api/sweeps")).json()) as { sweeps: SweepSummary[] };
    const ids = sweeps.map((s) => s.id);
    expect(ids.indexOf(b)).toBeLessThan(ids.indexOf(a));
    await waitForSweep(a, isFinal);
    await waitForSweep(b, isFinal);
  });

  it("picks and records a seed when none is given", async () => {
    const id = await startSweep({ weightScales: [0.1], epochs: 1, trainSize: 100 });
    const view = await getSweep(id);
    expect(Number.isInteger(view.config.seed)).toBe(true);
    expect(view.experiments[0].seed).toBe(view.config.seed);
    await waitForSweep(id, isFinal);
  });
});

describe("MAX_PARALLEL_RUNNERS (2 in these tests)", () => {
  it("keeps the other experiments queued until a runner's place is free, and the sweep completes", async () => {
    const id = await startSweep({ weightScales: [0.1, 0.05, 0.02, 0.01, 0.005], epochs: 2, trainSize: 100, seed: 3 });
    let mostRunning = 0;
    let sawQueued = false;
    const done = await waitForSweep(id, (v) => {
      mostRunning = Math.max(mostRunning, v.experiments.filter((e) => e.status === "running").length);
      sawQueued ||= v.experiments.some((e) => e.status === "queued") && v.experiments.some((e) => e.status !== "queued");
      return isFinal(v);
    });
    expect(done.status).toBe("completed");
    expect(mostRunning).toBeLessThanOrEqual(2);
    expect(sawQueued).toBe(true);
  });
});

describe("a grid sweep over HTTP", () => {
  it("runs every combination with the engine's lists for each, and serves the grid columns, blocks and summary", async () => {
    const request = {
      weightScales: [0.05],
      epochs: 2,
      trainSize: 200,
      seed: 3,
      grid: { learningRate: [0.01, 0.1], optimizer: ["sgd", "adam"] },
    } as const;
    const id = await startSweep(request as unknown as Parameters<typeof startSweep>[0]);
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(done.experiments.map((e) => e.grid)).toEqual([
      { learningRate: 0.01, optimizer: "sgd" },
      { learningRate: 0.01, optimizer: "adam" },
      { learningRate: 0.1, optimizer: "sgd" },
      { learningRate: 0.1, optimizer: "adam" },
    ]);
    for (const e of done.experiments) {
      const direct = await runEngine({ ...sweepExperiments(done.config)[e.index].config });
      expect(direct).toMatchObject({ weightScale: 0.05, seed: 3 });
      expect([e.plain, e.batchNorm]).toEqual([direct.plain, direct.batchNorm]);
    }
    const csv = await (await api(`/api/sweeps/${id}/results.csv`)).text();
    expect(csv.split("\n")[0]).toBe("experiment,weight_scale,seed,repeat,learningRate,optimizer,network,split,epoch,accuracy");
    const plot = await (await api(`/api/sweeps/${id}/plot.svg?combination=3`)).text();
    expect(plot).toContain("learningRate 0.1, optimizer adam");
    expect((await api(`/api/sweeps/${id}/plot.svg?combination=4`)).status).toBe(400);
    const summary = await api(`/api/sweeps/${id}/summary.svg`);
    expect(summary.headers.get("Content-Type")).toContain("image/svg+xml");
    expect((await summary.text()).match(/<path class="series"/g)).toHaveLength(8);
  });
});

describe("comparing sweeps", () => {
  it("overlays the summary curves of up to four sweeps, a colour and a legend entry each", async () => {
    const a = await startSweep({ weightScales: [0.1, 0.01], epochs: 1, trainSize: 100, seed: 40 });
    const b = await startSweep({ weightScales: [0.1, 0.01], epochs: 1, trainSize: 100, seed: 41, optimizer: "adam" });
    await waitForSweep(a, isFinal);
    await waitForSweep(b, isFinal);
    const res = await api(`/api/compare.svg?ids=${a},${b}`);
    expect(res.status).toBe(200);
    const svg = await res.text();
    expect([...svg.matchAll(/<text class="combination"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([
      `sweep ${a.slice(0, 8)}`,
      `sweep ${b.slice(0, 8)}`,
    ]);
    expect([...svg.matchAll(/data-group="(\d)"/g)].map((m) => m[1])).toEqual(["0", "0", "1", "1"]);
    const five = ["1", "2", "3", "4", "5"].map((d) => d.repeat(32));
    expect((await api(`/api/compare.svg?ids=${five.join(",")}`)).status).toBe(400);
  });
});
