import { describe, expect, it } from "vitest";
import type { RunnerReport } from "../../src/sweep/runner-protocol";
import { coordinator, report, scales } from "./coordinator-harness";

const FAILED: RunnerReport = { status: "failed", error: "RangeError: out of memory (3 failed attempts)" };
const DAY_MS = 24 * 60 * 60 * 1000;

/** A sweep of one experiment whose run failed: the sweep is final, its runner keeps its checkpoint. */
async function failedSweep(options: Parameters<typeof coordinator>[0] = {}) {
  const harness = coordinator(options);
  await harness.create(scales(1));
  await harness.core.alarm();
  harness.clock.now += 100;
  expect(await harness.core.report(0, FAILED)).toBe("ok");
  expect(harness.core.view()?.status).not.toBe("running");
  return harness;
}

describe("a runner of a final sweep", () => {
  it("keeps a failed run's checkpoint until retention, then is told to delete it when it reports again", async () => {
    const { core, clock } = await failedSweep();
    // Before retention the checkpoint is kept for a retry.
    expect(await core.report(0, FAILED)).toBe("ok");
    clock.now += 31 * DAY_MS;
    await core.retain();
    // A failed run reported after it (woken by a retry that never took): its checkpoint goes too.
    expect(await core.report(0, FAILED)).toBe("stop");
  });

  it("is told to delete a paused run's checkpoint too once retention ran", async () => {
    const { core, clock } = await failedSweep();
    clock.now += 31 * DAY_MS;
    await core.retain();
    expect(await core.report(0, report("paused", 1, 1))).toBe("stop");
  });

  it("keeps a failed run's checkpoint again once a retry after retention ended the sweep anew", async () => {
    const { core, clock } = await failedSweep();
    clock.now += 31 * DAY_MS;
    await core.retain();
    expect(await core.retry(0, true)).toMatchObject({ status: "running" });
    clock.now += 100;
    expect(await core.report(0, FAILED)).toBe("ok");
    // The sweep ended again, later: its retention is due RETAIN_DAYS from then.
    expect(await core.report(0, FAILED)).toBe("ok");
  });

  it("is stopped again when a purge comes while a retry wakes it", async () => {
    const harness = await failedSweep({
      duringRetry: async () => {
        await harness.core.purge();
      },
    });
    const { core, cancelled } = harness;
    cancelled.length = 0;
    const answer = await core.retry(0, false);
    expect(answer).toMatchObject({ refused: "conflict" });
    // The purge told the runner to stop before the retry woke it; the retry tells it again after.
    expect(cancelled).toEqual([0, 0]);
  });

  it("keeps the place of a run another retry started while its own retry was refused", async () => {
    let second: Promise<unknown> | undefined;
    const harness = await failedSweep({
      duringRetry: async () => {
        if (second) return;
        // A second retry of the same experiment comes while the first wakes the runner, and takes.
        second = harness.core.retry(0, false);
        await second;
      },
    });
    const { core, released, cancelled } = harness;
    released.length = 0;
    cancelled.length = 0;
    expect(await core.retry(0, false)).toMatchObject({ refused: "conflict" });
    expect(await second).toMatchObject({ status: "running" });
    expect(core.view()?.experiments[0].status).toBe("running");
    expect(released).toEqual([]);
    expect(cancelled).toEqual([]);
  });
});
