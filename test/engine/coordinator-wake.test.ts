import { describe, expect, it } from "vitest";
import { parseSweepConfig } from "../../src/sweep/config";
import { coordinator, EPOCHS, report, scales, turn, WATCHDOG_INTERVAL_MS } from "./coordinator-harness";

describe("the coordinator's fan-out as reports come", () => {
  it("starts the next queued experiment as soon as a report frees a place, not at the next alarm", async () => {
    const { core, storage, clock, started, create } = coordinator();
    await create(scales(3));
    await core.alarm();
    expect(started).toEqual(["0@end"]);
    const due = storage.data.alarm;
    clock.now += 100;
    expect(await core.report(0, report("completed", EPOCHS))).toBe("ok");
    expect(started).toEqual(["0@end", "1@end"]);
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["completed", "running", "queued"]);
    expect(storage.data.alarm).toBe(due);
  });

  it("is not woken by a progress report, which frees no place", async () => {
    const { core, storage, clock, create } = coordinator();
    await create(scales(2));
    await core.alarm();
    const due = storage.data.alarm;
    clock.now += 50;
    expect(await core.report(0, report("running", 1))).toBe("ok");
    expect(core.view()?.experiments[0].epochsDone).toBe(1);
    expect(storage.data.alarm).toBe(due);
  });

  it("does not start an experiment twice while its runner has not answered the first start", async () => {
    const { core, clock, started, hold, create } = coordinator({ parallel: 2 });
    await create(scales(4));
    const release = hold(1);
    const alarm = core.alarm();
    await turn();
    expect(started).toEqual(["0@end", "1@end"]);
    // Experiment 0 ends while 1's runner has not answered: the free place goes to 2, not to 1 again.
    clock.now += 10;
    expect(await core.report(0, report("completed", EPOCHS))).toBe("ok");
    expect(started).toEqual(["0@end", "1@end", "2@end"]);
    release();
    await alarm;
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["completed", "running", "running", "queued"]);
  });

  it("frees the place of an experiment that ended before its start was answered (one slice ends it)", async () => {
    const { core, clock, started, hold, create } = coordinator({ parallel: 2 });
    await create(scales(4));
    const release = hold(1);
    const alarm = core.alarm();
    await turn();
    clock.now += 10;
    expect(await core.report(1, report("completed", EPOCHS))).toBe("ok");
    // 1 no longer holds a place: 0 runs and 2 starts.
    expect(started).toEqual(["0@end", "1@end", "2@end"]);
    release();
    await alarm;
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["running", "completed", "running", "queued"]);
  });

  it("keeps the entry of a later fan-out when an earlier one ends (no third start of one experiment)", async () => {
    let firstStartOf0 = true;
    const failStart = (index: number) => {
      const fail = index === 0 && firstStartOf0;
      if (index === 0) firstStartOf0 = false;
      return fail;
    };
    const { core, clock, started, hold, create } = coordinator({ parallel: 3, failStart });
    await create(scales(6));
    // The alarm asks for 0, 1, 2: 0's runner cannot be reached (it stays queued), 2's answers late.
    const release2 = hold(2);
    const alarm = core.alarm();
    await turn();
    // 1 ends: its report's fan-out asks for 0 again, whose runner now answers late, and for 3.
    clock.now += 10;
    const release0 = hold(0);
    const first = core.report(1, report("completed", EPOCHS));
    await turn();
    expect(started).toEqual(["0@end", "1@end", "2@end", "0@end", "3@end"]);
    // The alarm's fan-out ends; the report's start of 0 is still unanswered.
    release2();
    await alarm;
    // 3 ends: its place goes to the next queued experiment, not to a third start of 0.
    const second = core.report(3, report("completed", EPOCHS));
    await turn();
    release0();
    await Promise.all([first, second]);
    expect(started.filter((s) => s === "0@end")).toHaveLength(2);
    expect(started).toContain("4@end");
  });

  it("hands a trial kept at a rung its new start even while the start to its earlier rung is unanswered", async () => {
    const { core, clock, quota, started, hold, create } = coordinator({ parallel: 2 });
    const config = parseSweepConfig(
      {
        weightScales: [1],
        search: { trials: 2, space: { learningRate: { log10Uniform: [-3, -1] } } },
        halving: { rungs: [1, 2], keep: 0.5 },
        epochs: 4,
        trainSize: 100,
        testSize: 10,
      },
      () => 7,
    );
    await create(config);
    await core.alarm();
    clock.now += 10;
    expect(await core.report(0, report("paused", 1, 1))).toBe("ok");
    // The rung decides with 1's pause; no place across sweeps for the kept trial at that moment.
    quota.granting = false;
    expect(await core.report(1, report("paused", 1, 1))).toBe("ok");
    quota.granting = true;
    const kept = started.length;
    // The alarm starts the kept trial towards rung 2; its runner pauses there before its answer comes.
    clock.now += 10;
    const release = hold(0);
    const alarm = core.alarm();
    await turn();
    expect(started.slice(kept)).toEqual(["0@2"]);
    expect(await core.report(0, report("paused", 2, 2))).toBe("ok");
    release();
    await alarm;
    // Kept again at rung 2, it is started to the end, not left for the watchdog.
    expect(started.slice(kept)).toEqual(["0@2", "0@end"]);
  });
});

describe("the coordinator's fan-out against a cancel", () => {
  it("gives back the places granted after the sweep was cancelled, and starts nothing", async () => {
    let grant = () => {};
    const acquired = new Promise<void>((r) => (grant = r));
    const { core, started, released, create } = coordinator({ acquired });
    await create(scales(2));
    const alarm = core.alarm();
    await turn();
    expect(core.view()?.status).toBe("queued");
    await core.cancel();
    grant();
    await alarm;
    expect(started).toEqual([]);
    expect(released.at(-1)).toEqual([0]);
  });
});

describe("the coordinator's fan-out against a purge and the same id created again", () => {
  it("starts nothing of the purged sweep once its places come, and the new sweep's experiments stay queued for its own", async () => {
    let grant = () => {};
    const acquired = new Promise<void>((r) => (grant = r));
    const { core, started, released, create } = coordinator({ acquired, parallel: 2 });
    await create(scales(2));
    const alarm = core.alarm();
    await turn();
    await core.cancel();
    expect(await core.purge()).toEqual({ purged: "s" });
    await create(scales(3));
    const releasedBefore = released.length;
    grant();
    await alarm;
    expect(started).toEqual([]);
    expect(core.view()?.experiments.map((e) => e.status)).toEqual(["queued", "queued", "queued"]);
    // Nothing given back for the purged sweep's late grant: under the same id, the places could be the new one's.
    expect(released.length).toBe(releasedBefore);
    // The new sweep's own fan-out starts its experiments.
    await core.alarm();
    expect(started).toEqual(["0@end", "1@end"]);
  });
});

describe("the coordinator's alarm", () => {
  it("keeps the wake-up of a report whose experiment could not start while the alarm runs", async () => {
    let reportDuringAlarm = false;
    const harness = coordinator({
      duringPublish: async (c) => {
        if (!reportDuringAlarm) return;
        reportDuringAlarm = false;
        // Experiment 0 ends while this alarm awaits its KV write, in the same millisecond; no
        // place across sweeps for the next one at that moment.
        harness.quota.granting = false;
        expect(await c.report(0, report("completed", EPOCHS))).toBe("ok");
        harness.quota.granting = true;
      },
    });
    const { core, storage, clock, started, create } = harness;
    await create(scales(3));
    await core.alarm();
    expect(started).toEqual(["0@end"]);
    expect(storage.data.alarm).toBe(clock.now + WATCHDOG_INTERVAL_MS);

    clock.now += 100;
    reportDuringAlarm = true;
    await core.alarm();
    expect(started).toEqual(["0@end"]);
    // Due at the report's moment, not a watchdog interval later.
    expect(storage.data.alarm).toBe(clock.now);
    await core.alarm();
    expect(started).toEqual(["0@end", "1@end"]);
  });

  it("re-arms the watchdog over the alarm being run when nothing came meanwhile", async () => {
    const { core, storage, clock, create } = coordinator();
    await create(scales(2));
    clock.now += 3;
    await core.alarm();
    expect(storage.data.alarm).toBe(clock.now + WATCHDOG_INTERVAL_MS);
  });
});
