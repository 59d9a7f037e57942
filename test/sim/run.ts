/**
 * `npm run test:sim`: the deterministic simulation of the sweep lifecycle (test/sim/world.ts).
 * Runs many seeded schedules, each several sweeps with faults injected, checking the invariants
 * after every step and at the end. A failure prints its seed; `npm run test:sim -- --seed N`
 * replays that schedule step by step.
 * Then every bug of test/sim/mutants.ts is put back in turn: each must be caught within
 * MUTANT_BUDGET schedules.
 *   --schedules N   how many (default 10000)      --seed N   one schedule, traced
 */

import { parseArgs } from "node:util";
import { MUTANTS } from "./mutants";
import { InvariantError, type SimOptions, World } from "./world";

/** Schedules a put-back bug may take to be caught. */
const MUTANT_BUDGET = 500;

/** How long a world may take to end every sweep once faults stop: the liveness bound, in steps. */
const MAX_STEPS = 20_000;

/** The world of seed `seed`: its size drawn from the seed too. */
export function optionsFor(seed: number): SimOptions {
  return {
    sweeps: 1 + (seed % 3),
    experiments: 1 + ((seed >> 2) % 4),
    epochs: 2 + ((seed >> 4) % 4),
    faultSteps: 150 + ((seed >> 6) % 200),
  };
}

/** Runs schedule `seed`; returns the failure, or null when every invariant held. */
export async function runSchedule(
  seed: number,
  more: Partial<SimOptions> = {},
): Promise<{ error: string; steps: number } | null> {
  const world = new World(seed, { ...optionsFor(seed), ...more });
  let steps = 0;
  try {
    for (let s = 0; s < world.sweepCount; s++) await world.addSweep();
    const runToQuiet = async () => {
      while (await world.step()) {
        if (++steps > MAX_STEPS) throw new InvariantError(`not quiet after ${MAX_STEPS} steps`);
      }
    };
    await runToQuiet();
    world.checkEnd();
    // Then faults healed, the user retries what failed: every sweep not cancelled or purged completes.
    for (let round = 0; round < 3 && (await world.retryFailed()); round++) await runToQuiet();
    world.checkEnd();
    world.checkRecovered();
    return null;
  } catch (e) {
    if (!(e instanceof InvariantError)) throw e;
    return { error: e.message, steps };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: "string" }, schedules: { type: "string" } } });
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    const failure = await runSchedule(seed, { trace: (line) => console.log(line) });
    console.log(failure ? `seed ${seed}: ${failure.error} (step ${failure.steps})` : `seed ${seed}: every invariant held`);
    console.log(failure ? "0 passed, 1 failed" : "1 passed, 0 failed");
    process.exit(failure ? 1 : 0);
  }
  const count = Number(values.schedules ?? 10_000);
  const start = performance.now();
  let failed = 0;
  for (let seed = 1; seed <= count; seed++) {
    const failure = await runSchedule(seed);
    if (failure) {
      failed++;
      if (failed <= 10) console.log(`FAIL seed ${seed}: ${failure.error} (replay: npm run test:sim -- --seed ${seed})`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`${count} schedules in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} a second), ${failed} failed`);
  let missed = 0;
  for (const mutant of MUTANTS) {
    let caught = 0;
    let why = "";
    const undo = mutant.patch?.();
    try {
      for (let seed = 1; seed <= MUTANT_BUDGET && caught === 0; seed++) {
        const failure = await runSchedule(seed, { rules: mutant.rules });
        if (failure) {
          caught = seed;
          why = failure.error;
        }
      }
    } finally {
      undo?.();
    }
    if (caught === 0) missed++;
    console.log(
      caught > 0
        ? `ok   bug "${mutant.name}" caught at schedule ${caught}: ${why}`
        : `FAIL bug "${mutant.name}" not caught in ${MUTANT_BUDGET} schedules`,
    );
  }
  const total = count + MUTANTS.length;
  console.log(`${total - failed - missed} passed, ${failed + missed} failed`);
  failed += missed;
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1]?.endsWith("run.ts")) await main();
