/** GFLOP/s of the matrix products of a training step, on a real MNIST batch and on dense data. */

import { copyRows, type Dataset } from "../src/dataset";
import { MatMul, transpose } from "../src/linalg/matmul";
import { NumpyRandom } from "../src/numpy-random";

/** One measured product. */
export interface KernelFigure {
  name: string;
  shape: string;
  gflops: number;
  microseconds: number;
}

function timeIt(run: () => void, minMs = 300): number {
  for (let i = 0; i < 5; i++) run();
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    reps++;
  }
  return (performance.now() - start) / reps;
}

function measure(name: string, m: number, k: number, n: number, a: Float64Array, b: Float64Array): KernelFigure {
  const out = new Float64Array(m * n);
  const mm = new MatMul(Math.max(m, k, n));
  const ms = timeIt(() => mm.multiply(a, b, out, m, k, n));
  return { name, shape: `${m}×${k}·${k}×${n}`, gflops: (2 * m * k * n) / (ms * 1e6), microseconds: ms * 1000 };
}

/** The products of one step's first and hidden layers, and of an evaluation pass. */
export function kernelFigures(train: Dataset): KernelFigure[] {
  const rng = new NumpyRandom(1);
  const batch = new Float64Array(100 * 784);
  copyRows(train, 0, 100, batch);
  const batchT = new Float64Array(784 * 100);
  transpose(batch, batchT, 100, 784);
  const w1 = rng.fillNormal(new Float64Array(784 * 100), 0.01);
  const w1T = new Float64Array(100 * 784);
  transpose(w1, w1T, 784, 100);
  const dout = rng.fillNormal(new Float64Array(100 * 100));
  const hidden = rng.fillNormal(new Float64Array(100 * 100));
  const w = rng.fillNormal(new Float64Array(100 * 100));
  const relu = hidden.map((v) => Math.max(v, 0));
  const evalInput = new Float64Array(1000 * 784);
  copyRows(train, 0, 1000, evalInput);
  const figures = [
    measure("forward, first layer (MNIST batch)", 100, 784, 100, batch, w1),
    measure("dW, first layer: xᵀ·dout", 784, 100, 100, batchT, dout),
    measure("dx, first layer: dout·Wᵀ (not needed)", 100, 100, 784, dout, w1T),
    measure("hidden layer, dense input", 100, 100, 100, hidden, w),
    measure("hidden layer, ReLU input (half zeros)", 100, 100, 100, relu, w),
  ];
  const out = new Float64Array(100 * 100);
  const mm = new MatMul(784);
  const ms = timeIt(() => {
    for (let c = 0; c < 10; c++) mm.multiply(evalInput.subarray(c * 78400, (c + 1) * 78400), w1, out, 100, 784, 100);
  });
  figures.push({
    name: "evaluation, first layer, 1000 images in chunks of 100",
    shape: "1000×784·784×100",
    gflops: (2 * 1000 * 784 * 100) / (ms * 1e6),
    microseconds: ms * 1000,
  });
  return figures;
}
