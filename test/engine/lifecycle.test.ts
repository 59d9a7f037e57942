import { describe, expect, it } from "vitest";
import {
  cancelExperiment,
  type ExperimentEvent,
  type ExperimentRecord,
  experimentStep,
  type SweepRecord,
  sweepStep,
} from "../../src/sweep/lifecycle";
import type { RunnerReport } from "../../src/sweep/runner-protocol";
import type { ExperimentStatus } from "../../src/sweep/view";

const LIVE: SweepRecord = { status: "running", completedAt: null };
const CANCELLED: SweepRecord = { status: "cancelled", completedAt: "2026-11-30T00:00:00.000Z" };
const PARTIAL: SweepRecord = { status: "partial", completedAt: "2026-11-30T00:00:00.000Z" };
const NOW = 1_000_000;

const lists = (n: number) => ({
  plain: Array.from({ length: n }, (_, i) => i / 10),
  batchNorm: Array.from({ length: n }, (_, i) => i / 5),
});

function record(status: ExperimentStatus, epochsDone = 2, more: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return {
    index: 0,
    status,
    epochsDone,
    lists: lists(epochsDone),
    error: null,
    lastReport: 0,
    restarts: 1,
    runner: "r",
    pauseAt: null,
    stopped: false,
    ...more,
  };
}

const progress = (epochsDone: number): RunnerReport => ({ status: "running", epochsDone, lists: lists(epochsDone), runner: "r" });
const completed = (epochsDone: number): RunnerReport => ({
  status: "completed",
  epochsDone,
  lists: lists(epochsDone),
  runner: "r",
});
const report = (r: RunnerReport): ExperimentEvent => ({ type: "report", report: r });

/** The step as a row of the tables below: next status, answer, effects; or the refusal. */
function row(sweep: SweepRecord, from: ExperimentRecord, event: ExperimentEvent) {
  const step = experimentStep(sweep, from, event, NOW);
  if ("refused" in step) return { refused: step.refused };
  return { status: step.next.status, answer: step.answer, effects: step.effects.map((e) => e.type) };
}

describe("a runner's report", () => {
  it.each([
    [
      "progress to a running experiment",
      LIVE,
      record("running", 2),
      report(progress(3)),
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "progress to a queued one (its start not yet recorded)",
      LIVE,
      record("queued", 0),
      report(progress(1)),
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "the end to a running one",
      LIVE,
      record("running", 2),
      report(completed(5)),
      { status: "completed", answer: "ok", effects: ["tell", "freePlace"] },
    ],
    [
      "a failed slice it will retry",
      LIVE,
      record("running", 2),
      report({ status: "retrying", error: "boom" }),
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "its failure",
      LIVE,
      record("running", 2),
      report({ status: "failed", error: "boom" }),
      { status: "failed", answer: "ok", effects: ["tell", "freePlace"] },
    ],
    [
      "an older progress report (reordered, repeated)",
      LIVE,
      record("running", 4),
      report(progress(2)),
      { status: "running", answer: "ok", effects: [] },
    ],
    [
      "the end again, to a completed one",
      LIVE,
      record("completed", 5),
      report(completed(5)),
      { status: "completed", answer: "ok", effects: [] },
    ],
    [
      "progress to a completed one",
      LIVE,
      record("completed", 5),
      report(progress(3)),
      { status: "completed", answer: "stop", effects: [] },
    ],
    [
      "progress to one the watchdog failed",
      LIVE,
      record("failed", 2),
      report(progress(3)),
      { status: "failed", answer: "stop", effects: [] },
    ],
    [
      "anything to a cancelled sweep",
      CANCELLED,
      record("cancelled", 2),
      report(completed(5)),
      { status: "cancelled", answer: "stop", effects: [] },
    ],
  ] as const)("%s", (_, sweep, from, event, expected) => {
    expect(row(sweep, from, event)).toEqual(expected);
  });

  it("older than what is held, still shows the runner alive: a restart is not silence", () => {
    const step = experimentStep(LIVE, record("running", 4), report(progress(1)), NOW);
    expect("refused" in step ? step : step.next).toMatchObject({ epochsDone: 4, lastReport: NOW });
  });

  it("progress clears the error and ends a run of watchdog restarts", () => {
    const step = experimentStep(LIVE, record("running", 2, { error: "attempt 1 failed", restarts: 2 }), report(progress(3)), NOW);
    expect("refused" in step ? step : step.next).toMatchObject({ epochsDone: 3, error: null, restarts: 0, lastReport: NOW });
  });

  it("that arrives late, completed, after the watchdog failed its experiment, is kept: the lists stay, the status stays failed", () => {
    for (const sweep of [LIVE, PARTIAL]) {
      const failed = record("failed", 2, { error: "runner went quiet 3 times in a row" });
      const step = experimentStep(sweep, failed, report(completed(5)), NOW);
      if ("refused" in step) throw new Error(step.refused);
      expect(step.answer).toBe("ok");
      expect(step.next).toMatchObject({ status: "failed", epochsDone: 5, lists: lists(5) });
      expect(step.next.error).toBe("runner went quiet 3 times in a row; its runner finished later: retry to take its result");
      expect(step.effects).toEqual([{ type: "tell" }]);
    }
  });
});

describe("the fan-out and the watchdog", () => {
  it.each([
    [
      "a start of a queued experiment",
      record("queued", 0),
      { type: "start", pauseAt: null },
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "a start of one already running",
      record("running", 1),
      { type: "start", pauseAt: null },
      { refused: "experiment 0 is running, not queued" },
    ],
    [
      "the late answer of a start sent before a rung kept it",
      record("queued", 2, { pauseAt: 4 }),
      { type: "start", pauseAt: 2 },
      { refused: "experiment 0 was started for an earlier rung" },
    ],
    [
      "a start that failed, below the limit",
      record("queued", 0, { restarts: 1 }),
      { type: "startFailed", error: "unreachable", limit: 3, pauseAt: null },
      { status: "queued", answer: "ok", effects: [] },
    ],
    [
      "a start that failed the limit's time in a row",
      record("queued", 0, { restarts: 2 }),
      { type: "startFailed", error: "unreachable", limit: 3, pauseAt: null },
      { status: "failed", answer: "ok", effects: ["tell", "freePlace"] },
    ],
    [
      "a busy runner woken",
      record("running", 2),
      { type: "woken", found: "busy" },
      { status: "running", answer: "ok", effects: [] },
    ],
    [
      "a sleeping runner woken",
      record("running", 2),
      { type: "woken", found: "restarted" },
      { status: "running", answer: "ok", effects: [] },
    ],
    [
      "an unreachable runner",
      record("running", 2),
      { type: "woken", found: "unreachable" },
      { status: "running", answer: "ok", effects: [] },
    ],
    [
      "a runner that lost everything",
      record("running", 2),
      { type: "woken", found: "lost" },
      { status: "running", answer: "ok", effects: ["startAfresh"] },
    ],
    [
      "its start afresh taken",
      record("running", 2),
      { type: "startedAfresh", since: 0 },
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "a late answer of an older start afresh, after a report",
      record("running", 2, { lastReport: 5 }),
      { type: "startedAfresh", since: 0 },
      { refused: "experiment 0 has reported since" },
    ],
    [
      "a runner quiet too often",
      record("running", 2),
      { type: "quietTooLong", error: "quiet" },
      { status: "failed", answer: "ok", effects: ["tell", "freePlace"] },
    ],
    [
      "a watchdog on a completed experiment",
      record("completed", 5),
      { type: "quietTooLong", error: "quiet" },
      { refused: "experiment 0 is completed, not running" },
    ],
  ] as const)("%s", (_, from, event, expected) => {
    expect(row(LIVE, from, event as ExperimentEvent)).toEqual(expected);
  });

  it("counts a restart in a row, but not for a busy runner", () => {
    const woken = (found: "busy" | "restarted") =>
      experimentStep(LIVE, record("running", 2, { restarts: 1 }), { type: "woken", found }, NOW);
    expect(woken("restarted")).toMatchObject({ next: { restarts: 2, lastReport: NOW } });
    expect(woken("busy")).toMatchObject({ next: { restarts: 1, lastReport: NOW } });
  });

  it("starts the lists over once a runner that lost everything was started afresh, not before", () => {
    expect(experimentStep(LIVE, record("running", 3), { type: "woken", found: "lost" }, NOW)).toMatchObject({
      next: { epochsDone: 3, restarts: 2 },
    });
    expect(experimentStep(LIVE, record("running", 3), { type: "startedAfresh", since: 0 }, NOW)).toMatchObject({
      next: { epochsDone: 0, lists: { plain: [], batchNorm: [] } },
    });
  });
});

describe("a retry", () => {
  it.each([
    [
      "of a failed experiment, from its checkpoint",
      LIVE,
      record("failed", 2),
      { type: "retry", fromSeed: false },
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "of a failed experiment of a final sweep",
      PARTIAL,
      record("failed", 2),
      { type: "retry", fromSeed: true },
      { status: "running", answer: "ok", effects: ["tell"] },
    ],
    [
      "of a completed experiment",
      LIVE,
      record("completed", 5),
      { type: "retry", fromSeed: false },
      { refused: "experiment 0 is completed; only a failed experiment can be retried" },
    ],
    [
      "in a cancelled sweep",
      CANCELLED,
      record("failed", 2),
      { type: "retry", fromSeed: false },
      { refused: "the sweep is cancelled" },
    ],
    [
      "taking a late result",
      PARTIAL,
      record("failed", 5),
      { type: "takeLateResult", epochs: 5 },
      { status: "completed", answer: "ok", effects: ["tell", "freePlace"] },
    ],
    [
      "taking a result that is not there",
      PARTIAL,
      record("failed", 3),
      { type: "takeLateResult", epochs: 5 },
      { refused: "experiment 0 holds no finished result" },
    ],
  ] as const)("%s", (_, sweep, from, event, expected) => {
    expect(row(sweep, from, event as ExperimentEvent)).toEqual(expected);
  });

  it("from the seed starts the lists over; from a checkpoint keeps them", () => {
    const failed = record("failed", 3, { error: "boom", restarts: 2 });
    expect(experimentStep(LIVE, failed, { type: "retry", fromSeed: true }, NOW)).toMatchObject({
      next: { epochsDone: 0, lists: { plain: [], batchNorm: [] }, error: null, restarts: 0 },
    });
    expect(experimentStep(LIVE, failed, { type: "retry", fromSeed: false }, NOW)).toMatchObject({
      next: { epochsDone: 3, lists: lists(3) },
    });
  });
});

describe("the sweep", () => {
  const at = "2026-11-30T12:00:00.000Z";

  it.each([
    [
      "runs once an experiment starts",
      { status: "queued", completedAt: null },
      { type: "experimentStarted" },
      { status: "running", completedAt: null },
      [],
    ],
    ["waits while an experiment is open", LIVE, { type: "experimentsAre", statuses: ["completed", "running"], at }, LIVE, []],
    [
      "completes when all completed",
      LIVE,
      { type: "experimentsAre", statuses: ["completed", "completed"], at },
      { status: "completed", completedAt: at },
      ["ended"],
    ],
    [
      "is partial when some failed",
      LIVE,
      { type: "experimentsAre", statuses: ["completed", "failed"], at },
      { status: "partial", completedAt: at },
      ["ended"],
    ],
    [
      "failed when all failed",
      LIVE,
      { type: "experimentsAre", statuses: ["failed", "failed"], at },
      { status: "failed", completedAt: at },
      ["ended"],
    ],
    [
      "keeps a final status: it is decided once",
      PARTIAL,
      { type: "experimentsAre", statuses: ["completed", "completed"], at },
      PARTIAL,
      [],
    ],
    ["is cancelled while live", LIVE, { type: "cancel", at }, { status: "cancelled", completedAt: at }, ["ended"]],
    ["runs again on a retry", PARTIAL, { type: "reopen" }, LIVE, []],
  ] as const)("%s", (_, from, event, next, effects) => {
    expect(sweepStep(from as SweepRecord, event)).toEqual({ next, effects: effects.map((type) => ({ type })) });
  });

  it.each([
    [
      "a cancel of a final sweep",
      PARTIAL,
      { type: "cancel", at },
      "sweep is already partial; only a queued or running sweep can be cancelled",
    ],
    ["a retry in a cancelled sweep", CANCELLED, { type: "reopen" }, "the sweep is cancelled"],
  ] as const)("refuses %s", (_, from, event, reason) => {
    expect(sweepStep(from, event)).toEqual({ refused: reason });
  });

  it("cancels its open experiments and keeps the final ones", () => {
    expect(
      ["queued", "running", "completed", "failed"].map((s) => cancelExperiment(record(s as ExperimentStatus)).status),
    ).toEqual(["cancelled", "cancelled", "completed", "failed"]);
  });
});
