import { describe, expect, it } from "vitest";
import { type Activation, MultiLayerNet } from "../../src/nn/multi-layer-net";
import { NumpyRandom } from "../../src/numpy/random-state";

const ROWS = 6;
const INPUT = 8;
const CLASSES = 4;
const H = 1e-6;
const TOLERANCE = 1e-7;

/** Largest |analytic − central difference| per parameter of a small network. */
function gradientGaps(activation: Activation, useBatchNorm: boolean, weightDecay: number): Record<string, number> {
  const rng = new NumpyRandom(3);
  const net = new MultiLayerNet({
    inputSize: INPUT,
    hiddenSizes: [7, 5],
    outputSize: CLASSES,
    activation,
    weightScale: 0.8,
    useBatchNorm,
    weightDecay,
    dropout: 0,
    maxRows: ROWS,
    rng,
    // The reference's +1e-7 inside the log is not part of its analytic gradient.
    logEpsilon: 0,
  });
  // Non-trivial γ, β and biases, so that their gradients are exercised away from 1 and 0.
  for (const p of net.params())
    if (!p.name.startsWith("W")) for (let i = 0; i < p.value.length; i++) p.value[i] += 0.3 * rng.gaussian();
  const x = rng.fillNormal(new Float64Array(ROWS * INPUT));
  const labels = new Int32Array(ROWS).map((_, i) => i % CLASSES);
  net.gradient(x, labels, ROWS);
  const gaps: Record<string, number> = {};
  for (const { name, value, grad } of net.params()) {
    const analytic = grad.slice();
    let gap = 0;
    for (let i = 0; i < value.length; i++) {
      const keep = value[i];
      value[i] = keep + H;
      const up = net.loss(x, labels, ROWS);
      value[i] = keep - H;
      const down = net.loss(x, labels, ROWS);
      value[i] = keep;
      gap = Math.max(gap, Math.abs(analytic[i] - (up - down) / (2 * H)));
    }
    gaps[name] = gap;
  }
  return gaps;
}

describe("analytic gradients against central differences", () => {
  it.each([
    ["relu", true, 0.1],
    ["sigmoid", true, 0.1],
    ["relu", false, 0.1],
  ] as const)("agree within 1e-7 for every parameter (%s, BN %s, weight decay %s)", (activation, bn, decay) => {
    const gaps = gradientGaps(activation, bn, decay);
    console.log(`gradient check ${activation} BN=${bn} λ=${decay}:`, JSON.stringify(gaps));
    const names = Object.keys(gaps);
    expect(names).toHaveLength(bn ? 3 * 2 + 2 * 2 : 3 * 2);
    for (const name of names) expect(gaps[name], name).toBeLessThanOrEqual(TOLERANCE);
  });
});
