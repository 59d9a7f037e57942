import { describe, expect, it } from "vitest";
import { parseSweepConfig, type SweepConfig } from "../../src/sweep/config";
import { Coordinator } from "../../src/sweep/coordinator";
import { type CoordinatorPorts, PLACED_BY_INDEX } from "../../src/sweep/coordinator-ports";
import type { ExperimentStatus } from "../../src/sweep/view";
import { MemoryStorage } from "../sim/memory-storage";

/**
 * What the fan-out would start now, as "index@shard", for experiments in `statuses` (by index) on
 * `shards` runner processes, those in `placed` started before on the shard given, the last start
 * on each process of `failing` failed; with `config`,
 * of that sweep (its experiments' work against a slice's `sliceWork`).
 */
function toStart(
  statuses: ExperimentStatus[],
  shards: number,
  parallel: number,
  {
    placed = {},
    failing = [],
    sweep,
  }: { placed?: Record<number, number>; failing?: number[]; sweep?: { config: SweepConfig; sliceWork: number } } = {},
): string[] {
  const table = new MemoryStorage();
  table.data.experiments = statuses.map(
    (status, index) => ({ index, status, shard: placed[index] }) as MemoryStorage["data"]["experiments"][number],
  );
  const tuning = (name: string) => (name === "SLICE_WORK" ? (sweep?.sliceWork ?? 0) : parallel);
  const ports = { table, runnerShards: shards, tuning } as unknown as CoordinatorPorts;
  const coordinator = new Coordinator(ports) as unknown as {
    toStart(config?: SweepConfig): { index: number; shard: number }[];
    failingShards: Set<number>;
  };
  for (const shard of failing) coordinator.failingShards.add(shard);
  return coordinator.toStart(sweep?.config).map(({ index, shard }) => `${index}@${shard}`);
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

/** Two scales on a small network (experiments 0, 1), then on a larger one (2, 3). */
const MIXED = parseSweepConfig({ weightScales: [1, 0.5], grid: { hiddenSizes: [[16], [100, 100]] }, epochs: 2 }, () => 3);

describe("the coordinator's fan-out of queued experiments", () => {
  it("on one runner process, starts the lowest indices the free places allow", () => {
    expect(toStart(["running", "completed", "running", "queued", "queued", "queued"], 1, 4)).toEqual(["3@0", "4@0"]);
  });

  it("on two runner processes, gives each its share: new experiments go to the one with fewer running", () => {
    // Experiments 0 and 2 run on process 0 (started before placement: by index); 4 places, 2 each.
    expect(toStart(["running", "completed", "running", "queued", "queued", "queued", "queued", "queued"], 2, 4)).toEqual([
      "3@1",
      "4@1",
    ]);
  });

  it("fills every process from empty, lowest index first, alternating", () => {
    expect(toStart(["queued", "queued", "queued", "queued", "queued", "queued"], 2, 4)).toEqual(["0@0", "1@1", "2@0", "3@1"]);
  });

  it("gives the process that ended its experiments first the next ones, whatever their index", () => {
    // 1 and 3 still run on process 1; process 0 ended 0 and 2: placed by index, 5 would wait for process 1.
    const statuses: ExperimentStatus[] = ["completed", "running", "completed", "running", "queued", "queued", "queued"];
    expect(toStart(statuses, 2, 4, { placed: { 0: 0, 1: 1, 2: 0, 3: 1 } })).toEqual(["4@0", "5@0"]);
  });

  it("starts an experiment started before on its own process only, waiting while that one is full", () => {
    // 4 was started on process 0 (its checkpoint is there), which runs two: 5 goes to process 1, 4 waits.
    const statuses: ExperimentStatus[] = ["running", "completed", "running", "completed", "queued", "queued"];
    expect(toStart(statuses, 2, 4, { placed: { 0: 0, 2: 0, 4: 0 } })).toEqual(["5@1"]);
    expect(toStart(["running", "completed", "running", "completed", "queued"], 2, 4, { placed: { 4: 0 } })).toEqual([]);
    // In a sweep stored before experiments were placed, 4's runner is on process 4 % 2 = 0, kept at a rung or not.
    expect(toStart(statuses, 2, 4, { placed: { 0: 0, 2: 0, 4: PLACED_BY_INDEX } })).toEqual(["5@1"]);
  });

  it("gives each process four times its share when every experiment ends within one slice", () => {
    const running: ExperimentStatus[] = ["running", "running", "running", "queued", "queued", "queued", "queued", "queued"];
    // Process 0 runs 0 and 2, process 1 runs 1: 2 places, so 8 (4 each) for these.
    expect(toStart(running, 2, 2, { sweep: { config: TINY, sliceWork: 3e9 } })).toEqual(["3@1", "4@0", "5@1", "6@0", "7@1"]);
    // A slice of 0.5 G multiply-adds cuts each of them in two: the 2 places are taken.
    expect(toStart(running, 2, 2, { sweep: { config: TINY, sliceWork: 5e8 } })).toEqual([]);
  });

  it("gives a process whose last start failed no new experiment while another has room; its own go on there", () => {
    const queued: ExperimentStatus[] = ["queued", "queued", "queued", "queued", "queued", "queued"];
    expect(toStart(queued, 2, 4, { failing: [1] })).toEqual(["0@0", "1@0"]);
    expect(toStart(queued, 2, 4, { failing: [1], placed: { 0: 1 } })).toEqual(["0@1", "1@0", "2@0"]);
    // Every process failing: placed as usual, none is better.
    expect(toStart(queued, 2, 4, { failing: [0, 1] })).toEqual(["0@0", "1@1", "2@0", "3@1"]);
  });

  it("starts the costliest experiments first, then by index, on one process or two", () => {
    const queued: ExperimentStatus[] = ["queued", "queued", "queued", "queued"];
    const sweep = { config: MIXED, sliceWork: 0 };
    expect(toStart(queued, 1, 2, { sweep })).toEqual(["2@0", "3@0"]);
    expect(toStart(queued, 2, 4, { sweep })).toEqual(["2@0", "3@1", "0@0", "1@1"]);
  });

  it("keeps the limit on one runner process (as deployed), however short the experiments", () => {
    expect(toStart(["running", "queued", "queued", "queued"], 1, 2, { sweep: { config: TINY, sliceWork: 3e9 } })).toEqual([
      "1@0",
    ]);
  });
});
