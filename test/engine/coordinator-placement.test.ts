import { describe, expect, it } from "vitest";
import { parseSweepConfig, type SweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts } from "../../src/sweep/coordinator-ports";
import type { ExperimentStatus } from "../../src/sweep/view";
import { MemoryStorage } from "../sim/memory-storage";

/**
 * What the fan-out would start now, for experiments in `statuses` (by index), on `shards` runner
 * processes; with `config`, of that sweep (its experiments' work against a slice's `sliceWork`).
 */
function toStart(
  statuses: ExperimentStatus[],
  shards: number,
  parallel: number,
  sweep?: { config: SweepConfig; sliceWork: number },
): number[] {
  const table = new MemoryStorage();
  table.data.experiments = statuses.map((status, index) => ({ index, status }) as MemoryStorage["data"]["experiments"][number]);
  const tuning = (name: string) => (name === "SLICE_WORK" ? (sweep?.sliceWork ?? 0) : parallel);
  const ports = { table, runnerShards: shards, tuning } as unknown as CoordinatorPorts;
  return (new Coordinator(ports) as unknown as { toStart(config?: SweepConfig): number[] }).toStart(sweep?.config);
}

/** Eight of the tiny sweep's experiments (issue #19): each is 0.80 G multiply-adds. */
const TINY = parseSweepConfig(
  {
    weightScales: [1, 0.5, 0.25, 0.125, 0.0625, 0.03, 0.01, 0.005],
    trainSize: 200,
    testSize: 0,
    batchSize: 20,
    hiddenSizes: [16],
    epochs: 40,
  },
  () => 3,
);

describe("the coordinator's fan-out of queued experiments", () => {
  it("on one runner process, starts the lowest indices the free places allow", () => {
    expect(toStart(["running", "completed", "running", "queued", "queued", "queued"], 1, 4)).toEqual([3, 4]);
  });

  it("on two runner processes, gives each its share: the one running two already gets none", () => {
    // Experiments 0 and 2 run on process 0 (index % 2); 4 places, 2 each: only odd indices start.
    expect(toStart(["running", "completed", "running", "queued", "queued", "queued", "queued", "queued"], 2, 4)).toEqual([3, 5]);
  });

  it("fills every process from empty, lowest index first", () => {
    expect(toStart(["queued", "queued", "queued", "queued", "queued", "queued"], 2, 4)).toEqual([0, 1, 2, 3]);
  });

  it("starts nothing when only a full process has queued experiments", () => {
    expect(toStart(["running", "completed", "running", "completed", "queued"], 2, 4)).toEqual([]);
  });

  it("gives each process four times its share when every experiment ends within one slice", () => {
    const running: ExperimentStatus[] = ["running", "running", "running", "queued", "queued", "queued", "queued", "queued"];
    // Process 0 runs 0 and 2, process 1 runs 1: 2 places, so 8 (4 each) for these.
    expect(toStart(running, 2, 2, { config: TINY, sliceWork: 3e9 })).toEqual([3, 4, 5, 6, 7]);
    // A slice of 0.5 G multiply-adds cuts each of them in two: the 2 places are taken.
    expect(toStart(running, 2, 2, { config: TINY, sliceWork: 5e8 })).toEqual([]);
  });

  it("keeps the limit on one runner process (as deployed), however short the experiments", () => {
    expect(toStart(["running", "queued", "queued", "queued"], 1, 2, { config: TINY, sliceWork: 3e9 })).toEqual([1]);
  });
});
