/** GFLOP/s of the matrix products of a training step, on a real MNIST batch and on dense data. */

import { type Dataset, gatherSparseRows } from "../src/data/dataset";
import { matmul, matmulSparse, matmulSparseTransA, matmulTransA, matmulTransB } from "../src/nn/linalg/matmul";
import { SparseRows } from "../src/nn/linalg/sparse-rows";
import { NumpyRandom } from "../src/numpy/random-state";

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

type Product = (a: Float64Array, b: Float64Array, out: Float64Array, d0: number, d1: number, d2: number) => void;

/** Times `product(a, b, out, d0, d1, d2)`, an m×k by k×n product in whichever argument order it takes. */
function measure(
  name: string,
  [m, k, n]: number[],
  product: Product,
  a: Float64Array,
  b: Float64Array,
  dims: number[],
): KernelFigure {
  const out = new Float64Array(m * n);
  const [d0, d1, d2] = dims;
  const ms = timeIt(() => product(a, b, out, d0, d1, d2));
  return { name, shape: `${m}×${k}·${k}×${n}`, gflops: (2 * m * k * n) / (ms * 1e6), microseconds: ms * 1000 };
}

/** The products of one step's first and hidden layers, and of an evaluation pass. */
export function kernelFigures(train: Dataset): KernelFigure[] {
  const rng = new NumpyRandom(1);
  const batch = new SparseRows(784, 100);
  gatherSparseRows(
    train,
    Int32Array.from({ length: 100 }, (_, r) => r),
    100,
    batch,
  );
  const w1 = rng.fillNormal(new Float64Array(784 * 100), 0.01);
  const dout = rng.fillNormal(new Float64Array(100 * 100));
  const hidden = rng.fillNormal(new Float64Array(100 * 100));
  const w = rng.fillNormal(new Float64Array(100 * 100));
  const relu = hidden.map((v) => Math.max(v, 0));
  const chunk = new SparseRows(784, 100);
  const chunkIndices = new Int32Array(100);
  const figures = [
    measure(
      "forward, first layer (MNIST batch as non-zeros)",
      [100, 784, 100],
      (_, b, out) => matmulSparse(batch, b, out, 100),
      batch.toDense(),
      w1,
      [],
    ),
    measure(
      "dW, first layer: xᵀ·dout",
      [784, 100, 100],
      (_, b, out) => matmulSparseTransA(batch, b, out, 100),
      batch.toDense(),
      dout,
      [],
    ),
    measure("forward, first layer, dense MNIST batch", [100, 784, 100], matmul, batch.toDense(), w1, [100, 784, 100]),
    measure("dW, first layer, dense MNIST batch", [784, 100, 100], matmulTransA, batch.toDense(), dout, [100, 784, 100]),
    measure("dx, first layer: dout·Wᵀ (not needed)", [100, 100, 784], matmulTransB, dout, w1, [100, 100, 784]),
    measure("hidden layer, dense input", [100, 100, 100], matmul, hidden, w, [100, 100, 100]),
    measure("hidden layer, ReLU input (half zeros)", [100, 100, 100], matmul, relu, w, [100, 100, 100]),
    measure("dW, hidden layer: ReLU outputᵀ·dout", [100, 100, 100], matmulTransA, relu, dout, [100, 100, 100]),
    measure("dx, hidden layer: dout·Wᵀ", [100, 100, 100], matmulTransB, dout, w, [100, 100, 100]),
  ];
  const out = new Float64Array(100 * 100);
  const ms = timeIt(() => {
    for (let c = 0; c < 10; c++) {
      for (let r = 0; r < 100; r++) chunkIndices[r] = c * 100 + r;
      gatherSparseRows(train, chunkIndices, 100, chunk);
      matmulSparse(chunk, w1, out, 100);
    }
  });
  figures.push({
    name: "evaluation, first layer, 1000 images in chunks of 100, read from bytes",
    shape: "1000×784·784×100",
    gflops: (2 * 1000 * 784 * 100) / (ms * 1e6),
    microseconds: ms * 1000,
  });
  return figures;
}
