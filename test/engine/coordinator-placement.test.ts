import { describe, expect, it } from "vitest";
import { Coordinator } from "../../src/sweep/coordinator";
import type { CoordinatorPorts } from "../../src/sweep/coordinator-ports";
import type { ExperimentStatus } from "../../src/sweep/view";
import { MemoryStorage } from "../sim/memory-storage";

/** What the fan-out would start now, for experiments in `statuses` (by index), on `shards` runner processes. */
function toStart(statuses: ExperimentStatus[], shards: number, parallel: number): number[] {
  const table = new MemoryStorage();
  table.data.experiments = statuses.map((status, index) => ({ index, status }) as MemoryStorage["data"]["experiments"][number]);
  const ports = { table, runnerShards: shards, tuning: () => parallel } as unknown as CoordinatorPorts;
  return (new Coordinator(ports) as unknown as { toStart(): number[] }).toStart();
}

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
});
