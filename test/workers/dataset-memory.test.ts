import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LOAD_WINDOW_CHUNKS } from "../../src/data/manifest";
import { EXPERIMENT_DEFAULTS, type ExperimentConfig } from "../../src/experiment/config";
import { memoryEstimate } from "../../src/experiment/cost";
import { Experiment } from "../../src/experiment/experiment";
import { loadDataset } from "../../workers/dataset-loader";
import { reachableBufferBytes } from "../shared/reachable-bytes";
import { api } from "./helpers";

/** The assets binding, counting the image chunks fetched and not yet read at once. */
function countingAssets(): { assets: Fetcher; most: () => number } {
  let open = 0;
  let most = 0;
  const assets = {
    async fetch(request: Request): Promise<Response> {
      const chunk = new URL(request.url).pathname.includes("-images-");
      if (chunk) most = Math.max(most, ++open);
      const res = await env.ASSETS.fetch(request);
      const bytes = await res.arrayBuffer();
      if (chunk) open--;
      return new Response(bytes, { status: res.status });
    },
  } as unknown as Fetcher;
  return { assets, most: () => most };
}

/**
 * The full training and test sets, on the largest network whose evaluation of all 70,000 images
 * still fits one slice (MAX_SLICE_WORK): the largest memory admission admits.
 */
const FULL: ExperimentConfig = {
  ...EXPERIMENT_DEFAULTS,
  trainSize: 60000,
  testSize: 10000,
  hiddenSizes: [100, 100],
  weightScale: 0.01,
  seed: 3,
};

describe("the dataset in a runner's isolate", () => {
  it("is one copy shared by every runner: a smaller request gets a view of the larger load", async () => {
    const { assets } = countingAssets();
    const big = await loadDataset(assets, 2000, 100);
    const small = await loadDataset(assets, 500, 50);
    expect(small.train.images.buffer).toBe(big.train.images.buffer);
    expect(small.test.labels.buffer).toBe(big.test.labels.buffer);
    expect(small.train.images.length).toBe(500 * 784);
    expect(Array.from(small.train.labels)).toEqual(Array.from(big.train.labels.subarray(0, 500)));
  });

  it("loads at most LOAD_WINDOW_CHUNKS (4) chunks at once, not all 70 with their copy", async () => {
    const { assets, most } = countingAssets();
    await loadDataset(assets, 60000, 10000);
    expect(most()).toBe(LOAD_WINDOW_CHUNKS);
  });

  it("of the largest admitted configuration (full training and test sets) holds less than its estimate", async () => {
    const res = await api("/api/sweeps?dryRun=1", {
      method: "POST",
      body: JSON.stringify({ weightScales: [0.01], trainSize: 60000, testSize: 10000, hiddenSizes: [100, 100], epochs: 1 }),
    });
    expect(res.status).toBe(200);
    const estimate = memoryEstimate(FULL);
    expect(((await res.json()) as { estimate: { peakMemoryBytes: number } }).estimate.peakMemoryBytes).toBe(estimate.total);
    expect(estimate.total).toBeLessThanOrEqual(96 * 2 ** 20);
    const { assets } = countingAssets();
    const data = await loadDataset(assets, FULL.trainSize, FULL.testSize);
    const datasetBytes = reachableBufferBytes(data);
    // The kept copy is exactly what the estimate counts; the load adds at most its window.
    expect(datasetBytes).toBe(estimate.dataset);
    const experiment = new Experiment(FULL, data);
    experiment.advance(1);
    const engineBytes = reachableBufferBytes(
      experiment,
      new Set([data.train.images.buffer, data.test.images.buffer, data.train.labels.buffer, data.test.labels.buffer]),
    );
    const counted = estimate.parameters + estimate.optimizer + estimate.activations + estimate.input;
    expect(engineBytes).toBeLessThanOrEqual(counted);
    console.log(
      `largest admitted (trainSize 60000, testSize 10000, hiddenSizes [100, 100]): estimate ${(estimate.total / 2 ** 20).toFixed(1)} MB; measured engine ${(engineBytes / 2 ** 20).toFixed(1)} MB of ${(counted / 2 ** 20).toFixed(1)} estimated, dataset ${(datasetBytes / 2 ** 20).toFixed(1)} MB`,
    );
  });
});

describe("runners starting together in a fresh isolate", () => {
  it("load the dataset once, however many ask before the first load ends", async () => {
    const { assets } = countingAssets();
    const loads = await Promise.all([loadDataset(assets, 3000, 0), loadDataset(assets, 3000, 0), loadDataset(assets, 2000, 0)]);
    const buffers = new Set(loads.map((d) => d.train.images.buffer));
    expect(buffers.size).toBe(1);
  });
});
