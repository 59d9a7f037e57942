import { describe, expect, it } from "vitest";
import type { ExperimentConfig } from "../../src/experiment/config";
import type { RunnerReport, RunnerSpec } from "../../src/sweep/runner-protocol";
import { RUNNER_RECORD_KEY, type RunnerRecord } from "../../src/sweep/runner-record";
import { RunnerStore, runnerIncarnation } from "../sim/runner-host";

const EPOCHS = 4;

/** A runner over the simulator's stand-in (one epoch a slice), its reports collected, and how to run its alarm until it waits. */
function runner() {
  const store = new RunnerStore();
  const reports: RunnerReport[] = [];
  const core = runnerIncarnation(store, {
    sweep: 0,
    index: 0,
    epochs: EPOCHS,
    now: () => 0,
    report: async (_spec, report) => {
      reports.push(report);
      return "ok";
    },
    slice: () => undefined,
    damaged: () => false,
  });
  const drain = async () => {
    for (let i = 0; i < 20 && store.alarm !== null; i++) {
      store.alarm = null;
      await core.alarm();
    }
  };
  const record = () => store.data.get(RUNNER_RECORD_KEY) as RunnerRecord | undefined;
  return { core, reports, drain, record, store };
}

const spec = (pauseAt?: number): RunnerSpec => ({
  sweepId: "s",
  index: 0,
  config: { epochs: EPOCHS } as ExperimentConfig,
  ...(pauseAt === undefined ? {} : { pauseAt }),
});

describe("a runner with successive halving", () => {
  it("pauses at its rung with its checkpoint kept, and goes on when started with a later one", async () => {
    const r = runner();
    expect(await r.core.start(spec(2))).toBe(true);
    await r.drain();
    expect(r.reports.at(-1)).toMatchObject({ status: "paused", epochsDone: 2, pauseAt: 2 });
    expect(r.record()?.state).toBe("paused");
    expect(r.store.data.get("checkpoint:pieces")).toBe(1);
    // The same rung again (a repeated start) changes nothing; a later one goes on.
    expect(await r.core.start(spec(2))).toBe(false);
    expect(await r.core.start(spec())).toBe(true);
    await r.drain();
    expect(r.reports.at(-1)).toMatchObject({ status: "completed", epochsDone: EPOCHS });
    expect(r.reports.at(-1)).not.toHaveProperty("pauseAt");
  });

  it("takes the coordinator's spec on a retry: a kept trial that missed its start goes on, from its checkpoint or its seed", async () => {
    for (const fromScratch of [false, true]) {
      const r = runner();
      await r.core.start(spec(2));
      await r.drain();
      expect(await r.core.retry(fromScratch, spec())).toBe(true);
      expect(r.record()?.spec.pauseAt).toBeUndefined();
      await r.drain();
      const statuses = r.reports.map((x) => ("epochsDone" in x ? `${x.status} ${x.epochsDone}` : x.status));
      // From the checkpoint it goes on at epoch 3; from the seed it runs all four again, with no pause.
      expect(statuses.slice(2)).toEqual(
        fromScratch ? ["running 1", "running 2", "running 3", "completed 4"] : ["running 3", "completed 4"],
      );
    }
  });
});
