/**
 * Bugs fixed before, put back one at a time: the simulator must catch each within a few hundred
 * schedules, or it proves nothing.
 */

import { Coordinator } from "../../src/sweep/coordinator";
import { LIFECYCLE, type LifecycleRules } from "../../src/sweep/lifecycle";
import { Runner } from "../../src/sweep/runner";

export interface Mutant {
  name: string;
  rules?: LifecycleRules;
  /** Changes the coordinator's own code for the mutant's schedules; returns how to undo it. */
  patch?: () => () => void;
}

/** The coordinator's methods, reachable for a patch (private in TypeScript only). */
type Patchable = Record<
  string,
  (this: { ports: { alarm: { get(): Promise<number | null>; set(at: number): Promise<void> } } }, ...args: never[]) => unknown
>;

const real = LIFECYCLE;

export const MUTANTS: Mutant[] = [
  {
    name: "cancel writes cancelled unconditionally, a final sweep too",
    rules: {
      ...real,
      sweepStep: (sweep, event) =>
        event.type === "cancel"
          ? { next: { status: "cancelled", completedAt: event.at }, effects: [{ type: "ended" }] }
          : real.sweepStep(sweep, event),
    },
  },
  {
    name: "a late completed report completes a failed experiment (a final status changed without a retry)",
    rules: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "report" && event.report.status === "completed" && record.status === "failed"
          ? real.experimentChange(sweep, { ...record, status: "running" }, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "a runner's start is not told to viewers",
    rules: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) => {
        const change = real.experimentChange(sweep, record, event, now, statusesAfter);
        if ("refused" in change || event.type !== "start") return change;
        return { ...change, step: { ...change.step, effects: change.step.effects.filter((e) => e.type !== "tell") } };
      },
    },
  },
  {
    name: "an older progress report overwrites newer lists",
    rules: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "report" && "epochsDone" in event.report && event.report.epochsDone < record.epochsDone
          ? real.experimentChange(sweep, { ...record, epochsDone: 0 }, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "a retry applied although a cancel came while it waited for its runner",
    rules: {
      ...real,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "retry" && sweep.status === "cancelled"
          ? real.experimentChange({ ...sweep, status: "running" }, record, event, now, statusesAfter)
          : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "the watchdog never gives up on a quiet runner",
    rules: {
      ...real,
      experimentStep: real.experimentStep,
      experimentChange: (sweep, record, event, now, statusesAfter) =>
        event.type === "quietTooLong" ? { refused: "never" } : real.experimentChange(sweep, record, event, now, statusesAfter),
    },
  },
  {
    name: "a rung keeps the worst trials",
    rules: {
      ...real,
      rungDecisions: (group, halving) =>
        real.rungDecisions(
          group.map((m) => ({ ...m, score: (points: number) => -m.score(points) })),
          halving,
        ),
    },
  },
  {
    name: "a rung is decided while one of its trials still runs",
    rules: {
      ...real,
      rungDecisions: (group, halving) =>
        real.rungDecisions(
          group.filter((m) => m.status !== "running" && m.status !== "queued"),
          halving,
        ),
    },
  },
  {
    name: "a kept trial is sent on to the rung it paused at",
    rules: {
      ...real,
      rungDecisions: (group, halving) =>
        real.rungDecisions(group, halving).map((d) => {
          const at = group.find((m) => m.index === d.index)?.pauseAt ?? null;
          return d.event.type === "promote" ? { ...d, event: { type: "promote", pauseAt: at } } : d;
        }),
    },
  },
  {
    name: "a slice's attempt counted after the work, not before (an isolate that dies each slice is never failed)",
    patch: () => {
      const proto = Runner.prototype as unknown as { alarm(this: { ports: { tuning(n: string): number } }): Promise<void> };
      const real = proto.alarm;
      proto.alarm = async function () {
        // No limit on attempts: the check that counts resets before the work is gone.
        const tuning = this.ports.tuning;
        this.ports.tuning = (name: string) => (name === "MAX_SLICE_FAILURES" ? Number.POSITIVE_INFINITY : tuning(name));
        try {
          return await real.call(this);
        } finally {
          this.ports.tuning = tuning;
        }
      };
      return () => {
        proto.alarm = real;
      };
    },
  },
  {
    name: "the alarm being run counts as a sooner one (its sweep is left without an alarm)",
    patch: () => {
      const proto = Coordinator.prototype as unknown as Patchable;
      const real = proto.armAlarm;
      proto.armAlarm = async function (at: number) {
        const current = await this.ports.alarm.get();
        if (current === null || current > at) await this.ports.alarm.set(at);
      } as Patchable[string];
      return () => {
        proto.armAlarm = real;
      };
    },
  },
];
