import { describe, expect, it } from "vitest";
import { parseSweepConfig } from "../../src/sweep/config";
import { compareSvg } from "../../src/sweep/summary-svg";
import type { SweepView } from "../../src/sweep/view";
import { finishedView } from "../shared/finished-view";

/** The largest result admission allows (MAX_RESULT_POINTS = 262144): 256 experiments × 512 epochs × 2 lists. */
function largestView(): SweepView {
  const config = parseSweepConfig({ weightScales: Array.from({ length: 256 }, (_, i) => 1 / (i + 1)), epochs: 512 }, () => 0);
  let x = 1;
  // Accuracies with as many digits as the engine's (k / 1000 images).
  const accuracy = () => {
    x = (x * 48271) % 2147483647;
    return (x % 1000) / 1000 + 0.0001 * (x % 7);
  };
  const list = () => Array.from({ length: 512 }, accuracy);
  return finishedView(config, () => ({ plain: list(), batchNorm: list() }), "b".repeat(32));
}

describe("the largest admitted result", () => {
  it("is a view of at most 6 MB of JSON, and four of them parsed and compared fit well inside 128 MB", () => {
    const json = JSON.stringify(largestView());
    const bytes = new TextEncoder().encode(json).length;
    expect(bytes).toBeLessThan(6 * 2 ** 20);
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    const views: SweepView[] = [];
    for (let i = 0; i < 4; i++) {
      views.push(JSON.parse(json) as SweepView);
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    const svg = compareSvg(views);
    peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    expect(svg.length).toBeGreaterThan(0);
    expect(peak).toBeLessThan(64 * 2 ** 20);
    console.log(
      `largest view: ${(bytes / 2 ** 20).toFixed(2)} MB of JSON; four parsed and compared: heap +${(peak / 2 ** 20).toFixed(1)} MB`,
    );
  });
});
