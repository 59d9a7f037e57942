/**
 * A sweep's plan as its coordinator keeps it in memory: every experiment as its runner starts it
 * (runnerExperiments: the book's seeding steps a stream through every experiment, which admission
 * bounds to about 5 s of CPU, so it is made once per object and config) and the halving groups.
 */

import { iterationWork } from "../experiment/cost";
import { studyIterations } from "../experiment/study";
import type { SweepConfig, SweepExperiment } from "./config";
import { halvingGroups } from "./halving";
import { runnerExperiments } from "./plan";

export class SweepPlan {
  private made:
    | {
        config: string;
        planned: SweepExperiment[];
        byIndex: Map<number, SweepExperiment>;
        groups: Map<number, number[]>;
        largestWork: number;
        costliestFirst: number[];
      }
    | undefined;

  private of(config: SweepConfig): NonNullable<SweepPlan["made"]> {
    const key = JSON.stringify(config);
    if (this.made?.config !== key) {
      const planned = runnerExperiments(config);
      // As a runner cuts slices (workers/slice-plan.ts): its iterations at the work of each.
      const work = new Map(planned.map((e) => [e.index, studyIterations(e.config) * iterationWork(e.config)]));
      const at = (index: number) => work.get(index) ?? 0;
      this.made = {
        config: key,
        planned,
        byIndex: new Map(planned.map((e) => [e.index, e])),
        groups: halvingGroups(planned),
        largestWork: Math.max(0, ...work.values()),
        costliestFirst: [...work.keys()].sort((a, b) => at(b) - at(a) || a - b),
      };
    }
    return this.made;
  }

  /** Every experiment as its runner starts it. */
  experiments(config: SweepConfig): SweepExperiment[] {
    return this.of(config).planned;
  }

  /** Experiment `index` as its runner starts it. */
  experiment(config: SweepConfig, index: number): SweepExperiment | undefined {
    return this.of(config).byIndex.get(index);
  }

  /** The experiments halving compares experiment `index` with (itself included). */
  group(config: SweepConfig, index: number): number[] {
    return this.of(config).groups.get(index) ?? [];
  }

  /** Every experiment's index, the costliest first (by work, then index). */
  costliestFirst(config: SweepConfig): readonly number[] {
    return this.of(config).costliestFirst;
  }

  /** The work of its costliest experiment, in multiply-adds, as its runner cuts it into slices (src/experiment/cost.ts). */
  largestWork(config: SweepConfig): number {
    return this.of(config).largestWork;
  }
}
