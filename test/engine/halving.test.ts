import { describe, expect, it } from "vitest";
import { halvingPoints, keptCount, nextPause, rungScore, trialsPerRung } from "../../src/sweep/halving";
import {
  type ExperimentRecord,
  experimentStep,
  type RungMember,
  rungDecisions,
  type SweepRecord,
} from "../../src/sweep/lifecycle";
import type { ExperimentStatus } from "../../src/sweep/view";

const LIVE: SweepRecord = { status: "running", completedAt: null };
const NOW = 5_000;
const HALVING = { rungs: [2, 4], keep: 0.5 };

describe("successive halving's arithmetic", () => {
  it("keeps the share rounded up, at least one, whatever the product's last bit", () => {
    expect([keptCount(10, 0.3), keptCount(5, 0.5), keptCount(1, 0.1), keptCount(100, 1 / 3), keptCount(3, 0.01)]).toEqual([
      3, 3, 1, 34, 1,
    ]);
  });

  it("counts the trials entering each rung and the end, and the points they run", () => {
    const halving = { rungs: [5, 15], keep: 1 / 3 };
    expect(trialsPerRung(100, halving)).toEqual([100, 34, 12]);
    // 66 stop at 5 points, 22 at 15, 12 run all 50.
    expect(halvingPoints(100, halving, 50)).toEqual({ run: 66 * 5 + 22 * 15 + 12 * 50, full: 5000 });
  });

  it("pauses first at the first rung, then at the next one past the last, then at the end", () => {
    expect([nextPause(HALVING, null), nextPause(HALVING, 2), nextPause(HALVING, 4), nextPause(null, null)]).toEqual([
      2,
      4,
      null,
      null,
    ]);
  });

  it("ranks by accuracy on held-out images only: validation, test, the Batch Norm network's test", () => {
    const lists = { plain: [0.1], batchNorm: [0.2, 0.3], train: [0.4, 0.5], validation: [0.6, 0.7] };
    expect(rungScore(lists, 2)).toBe(0.7);
    expect(rungScore({ ...lists, validation: undefined, test: [0.55] }, 1)).toBe(0.55);
    expect(rungScore({ plain: [0.1], batchNorm: [0.2, 0.3], testBatchNorm: [0.8, 0.9] }, 2)).toBe(0.9);
    // Training accuracy is never the score (config.ts refuses halving without held-out images).
    expect(rungScore({ ...lists, validation: undefined }, 1)).toBe(Number.NEGATIVE_INFINITY);
    expect(rungScore({ plain: [0.1], batchNorm: [0.2, 0.3] }, 2)).toBe(Number.NEGATIVE_INFINITY);
  });
});

/** A group member at its rung: its status, where it pauses, and its score there. */
function member(index: number, status: ExperimentStatus, pauseAt: number | null, score = 0): RungMember {
  return { index, status, pauseAt, score: () => score };
}

describe("a rung's decision", () => {
  it("keeps the best half of the paused trials (the lower index on a tie) and stops the others", () => {
    const group = [
      member(0, "paused", 2, 0.5),
      member(1, "paused", 2, 0.9),
      member(2, "paused", 2, 0.5),
      member(3, "paused", 2, 0.1),
    ];
    expect(rungDecisions(group, HALVING)).toEqual([
      { index: 1, event: { type: "promote", pauseAt: 4 } },
      { index: 0, event: { type: "promote", pauseAt: 4 } },
      { index: 2, event: { type: "stopAtRung" } },
      { index: 3, event: { type: "stopAtRung" } },
    ]);
  });

  it("waits while a trial of the rung is queued or running", () => {
    for (const open of ["queued", "running"] as const) {
      expect(rungDecisions([member(0, "paused", 2, 0.5), member(1, open, 2)], HALVING)).toEqual([]);
    }
  });

  it("counts a failed trial as entered: 2 of 4 kept from the 3 that paused", () => {
    const group = [member(0, "failed", 2), member(1, "paused", 2, 0.3), member(2, "paused", 2, 0.2), member(3, "paused", 2, 0.1)];
    expect(rungDecisions(group, HALVING).map((d) => [d.index, d.event.type])).toEqual([
      [1, "promote"],
      [2, "promote"],
      [3, "stopAtRung"],
    ]);
  });

  it("sends the last rung's kept trials to the end", () => {
    const group = [member(0, "paused", 4, 0.5), member(1, "paused", 4, 0.6), member(2, "completed", 2, 0)];
    expect(rungDecisions(group, HALVING)).toEqual([
      { index: 1, event: { type: "promote", pauseAt: null } },
      { index: 0, event: { type: "stopAtRung" } },
    ]);
  });

  it("stops a trial that pauses at a rung decided without it (retried after it failed there)", () => {
    const group = [member(0, "running", 4), member(1, "completed", 2, 0), member(2, "paused", 2, 0.99)];
    expect(rungDecisions(group, HALVING)).toEqual([{ index: 2, event: { type: "stopAtRung" } }]);
  });
});

function record(status: ExperimentStatus, more: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    index: 3,
    status,
    epochsDone: 1,
    lists: { plain: [], batchNorm: [], validation: [0.5] },
    error: null,
    lastReport: 0,
    restarts: 1,
    runner: "r",
    pauseAt: 2,
    stopped: false,
    ...more,
  };
}

const pause = (epochsDone: number) => ({
  type: "report" as const,
  report: { status: "paused" as const, epochsDone, lists: { plain: [], batchNorm: [], validation: [0.5, 0.6] }, runner: "r" },
});

describe("an experiment of a halving sweep", () => {
  it("pauses at its rung, giving its place back, with the lists so far", () => {
    expect(experimentStep(LIVE, record("running"), pause(2), NOW)).toEqual({
      next: record("paused", { epochsDone: 2, lists: pause(2).report.lists, lastReport: NOW, restarts: 0 }),
      answer: "ok",
      effects: [{ type: "tell" }, { type: "freePlace" }],
    });
  });

  it("takes a pause at an earlier rung, repeated, as a sign of life only", () => {
    const promoted = record("running", { pauseAt: 4, epochsDone: 3 });
    expect(experimentStep(LIVE, promoted, pause(2), NOW)).toEqual({
      next: { ...promoted, lastReport: NOW },
      answer: "ok",
      effects: [],
    });
  });

  it("has its runner sent its start again when it reports a pause at an earlier rung while running (the start that kept it was lost)", () => {
    const kept = record("running", { pauseAt: null, epochsDone: 2 });
    expect(experimentStep(LIVE, kept, { ...pause(2), report: { ...pause(2).report, pauseAt: 2 } }, NOW)).toEqual({
      next: { ...kept, lastReport: NOW },
      answer: "ok",
      effects: [{ type: "resume" }],
    });
  });

  it("takes a failure sent towards an earlier rung, late, as a sign of life only (a kept trial stays queued)", () => {
    const kept = record("queued", { pauseAt: 4, epochsDone: 2 });
    const late = { type: "report" as const, report: { status: "retrying" as const, error: "attempt 1 failed", pauseAt: 2 } };
    expect(experimentStep(LIVE, kept, late, NOW)).toEqual({ next: { ...kept, lastReport: NOW }, answer: "ok", effects: [] });
  });

  it("is queued again when kept, to pause next at the next rung, its lists kept", () => {
    const step = experimentStep(LIVE, record("paused", { epochsDone: 2 }), { type: "promote", pauseAt: 4 }, NOW);
    expect(step).toMatchObject({
      next: { status: "queued", pauseAt: 4, epochsDone: 2, stopped: false },
      effects: [{ type: "tell" }],
    });
  });

  it("is completed and marked stopped when not kept, its runner told to stop", () => {
    const step = experimentStep(LIVE, record("paused", { epochsDone: 2 }), { type: "stopAtRung" }, NOW);
    expect(step).toMatchObject({
      next: { status: "completed", stopped: true, epochsDone: 2, pauseAt: 2 },
      effects: [{ type: "tell" }, { type: "stopRunner" }],
    });
  });

  it("refuses a rung's decision unless paused", () => {
    expect(experimentStep(LIVE, record("running"), { type: "stopAtRung" }, NOW)).toEqual({
      refused: "experiment 3 is running, not paused at a rung",
    });
    expect(experimentStep(LIVE, record("queued"), { type: "promote", pauseAt: 4 }, NOW)).toEqual({
      refused: "experiment 3 is queued, not paused at a rung",
    });
  });

  it("tells a stopped trial's runner to stop, and a failed one's to keep its checkpoint for a retry", () => {
    expect(experimentStep(LIVE, record("completed", { stopped: true, epochsDone: 2 }), pause(2), NOW)).toMatchObject({
      answer: "stop",
    });
    expect(experimentStep(LIVE, record("failed"), pause(2), NOW)).toMatchObject({ answer: "ok", effects: [] });
    expect(experimentStep(LIVE, record("paused", { epochsDone: 2 }), pause(2), NOW)).toMatchObject({ answer: "ok", effects: [] });
  });
});
