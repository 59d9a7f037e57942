/**
 * The local sweep timed end to end: a fresh local server with K runner processes, the book's sweep
 * POSTed, polled until final; seconds from POST to final and the lists, for comparison with numpy.
 */

import { startDevServer } from "../scripts/dev-server";
import { isFinalSweep, type SweepView } from "../src/sweep";

/** One timed local sweep. */
export interface LocalSweepTiming {
  runners: number;
  seconds: number;
  view: SweepView;
}

/** Runs the book's 16-scale sweep with `seed` on a local server of `runners` processes. */
export async function timeLocalSweep(runners: number, seed: number): Promise<LocalSweepTiming> {
  const server = await startDevServer({ runners });
  try {
    const start = performance.now();
    const res = await fetch(`${server.url}/api/sweeps`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ seed }),
    });
    if (res.status !== 202) throw new Error(`the local server answered ${res.status}: ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      const view = (await (await fetch(`${server.url}/api/sweeps/${id}`)).json()) as SweepView;
      if (isFinalSweep(view.status)) return { runners, seconds: (performance.now() - start) / 1000, view };
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await server.stop();
  }
}
