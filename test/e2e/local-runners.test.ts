/** A local server on two runner processes: both experiments run at once, one per process, with the engine's results. */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/dev-server";
import { loadMnist } from "../../scripts/load-mnist";
import { Experiment } from "../../src/experiment";
import { parseSweepConfig, type SweepView, sweepExperiments } from "../../src/sweep";

// 100 iterations each, a few seconds: long enough that both are seen running whatever the second
// process's start-up costs (at 9 iterations, no poll on CI saw both running).
const REQUEST = { weightScales: [0.05, 0.02], epochs: 10, trainSize: 1000, seed: 5 };

let server: DevServer;
/** `index@runner` of the experiments seen running together, with a runner named, in one poll. */
const seenTogether = new Set<string>();
let final: SweepView;

async function view(id: string): Promise<SweepView> {
  const res = await fetch(`${server.url}/api/sweeps/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/sweeps/${id} answered ${res.status}`);
  return (await res.json()) as SweepView;
}

beforeAll(async () => {
  // Five iterations per slice: each runner reports its progress, and its process, 20 times before it ends.
  server = await startDevServer({ runners: 2, vars: { SLICE_WORK: "5e8" } });
  const res = await fetch(`${server.url}/api/sweeps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(REQUEST),
  });
  if (res.status !== 202) throw new Error(`POST /api/sweeps answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  let last = await view(id);
  while (last.status === "queued" || last.status === "running") {
    const running = last.experiments.filter((e) => e.status === "running" && e.runner);
    if (running.length === 2) for (const e of running) seenTogether.add(`${e.index}@${e.runner}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await view(id);
  }
  final = last;
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

describe("a sweep of two experiments on a local server with two runner processes", () => {
  it("runs both experiments at the same moment, experiment 0 on bn-sweep-runner-0 and 1 on bn-sweep-runner-1", () => {
    expect([...seenTogether].sort()).toEqual(["0@bn-sweep-runner-0", "1@bn-sweep-runner-1"]);
  });

  it("ends completed", () => {
    expect(final.status).toBe("completed");
  });

  it("gives each experiment the plain and BN lists of the engine run in Node on the same config", () => {
    const data = loadMnist();
    for (const { index, config } of sweepExperiments(parseSweepConfig(REQUEST, () => 0))) {
      const expected = new Experiment(config, data).run();
      expect(final.experiments[index].plain).toEqual(expected.plain);
      expect(final.experiments[index].batchNorm).toEqual(expected.batchNorm);
    }
  });
});
