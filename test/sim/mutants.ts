/**
 * Bugs fixed before, put back one at a time: the simulator must catch each within a few hundred
 * schedules, or it proves nothing.
 */

import type { ExperimentEvent } from "../../src/sweep/lifecycle";
import type { GlueBugs, Lifecycle } from "./world";
import { REAL_LIFECYCLE } from "./world";

export interface Mutant {
  name: string;
  lifecycle?: Lifecycle;
  bugs?: GlueBugs;
}

const real = REAL_LIFECYCLE;

export const MUTANTS: Mutant[] = [
  {
    name: "cancel writes cancelled unconditionally, a final sweep too",
    lifecycle: {
      ...real,
      sweepStep: (sweep, event) =>
        event.type === "cancel"
          ? { next: { status: "cancelled", completedAt: event.at }, effects: [{ type: "ended" }] }
          : real.sweepStep(sweep, event),
    },
  },
  {
    name: "a late completed report completes a failed experiment (a final status changed without a retry)",
    lifecycle: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "report" && event.report.status === "completed" && record.status === "failed"
          ? real.experimentChange(sweep, { ...record, status: "running" }, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "a runner's start is not told to viewers",
    lifecycle: {
      ...real,
      experimentChange: (sweep, record, event: ExperimentEvent, now, statusesAfter) => {
        const change = real.experimentChange(sweep, record, event, now, statusesAfter);
        if ("refused" in change || event.type !== "start") return change;
        return { ...change, step: { ...change.step, effects: change.step.effects.filter((e) => e.type !== "tell") } };
      },
    },
  },
  {
    name: "an older progress report overwrites newer lists",
    lifecycle: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "report" && "epochsDone" in event.report && event.report.epochsDone < record.epochsDone
          ? real.experimentChange(sweep, { ...record, epochsDone: 0 }, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "a retry applied although a cancel came while it waited for its runner",
    lifecycle: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "retry" && sweep.status === "cancelled"
          ? real.experimentChange({ ...sweep, status: "running" }, record, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  { name: "no watchdog: a runner whose alarm is lost is never woken", bugs: { noWatchdog: true } },
  { name: "the final report dropped once, with no watchdog", bugs: { finalReportDroppedOnce: true, noWatchdog: true } },
];
