/**
 * Reads the prepared MNIST assets through the ASSETS binding, checking every file's SHA-256.
 * - A load holds the assembled images plus at most LOAD_WINDOW_CHUNKS chunks at once (each chunk
 *   is copied in and dropped), so its peak is what admission counts.
 * - Runners that share an isolate share one immutable copy of each split: the isolate keeps the
 *   largest prefix loaded so far and hands smaller requests views of it. Cloudflare may place
 *   several objects of a class in one isolate under one 128 MB limit, and the full training set
 *   alone is 47 MB.
 */

import {
  DATASET_DIR,
  type Dataset,
  type DatasetFile,
  type DatasetManifest,
  type DatasetSplit,
  LOAD_WINDOW_CHUNKS,
  type MnistData,
} from "../src/data";
import { sha256Hex } from "./sha256";

/** The assets are missing or damaged: a deployment problem, not a request problem. */
export class DatasetError extends Error {
  override name = "DatasetError";
}

async function fetchAsset(assets: Fetcher, path: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await assets.fetch(new Request(`https://assets.local/${path}`));
  if (!res.ok) throw new DatasetError(`dataset asset /${path} answered ${res.status}; run npm run prepare-assets and redeploy`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchVerified(assets: Fetcher, file: DatasetFile): Promise<Uint8Array> {
  const bytes = await fetchAsset(assets, file.path);
  const hex = await sha256Hex(bytes);
  if (hex !== file.sha256)
    throw new DatasetError(`dataset asset /${file.path} has SHA-256 ${hex}, the manifest says ${file.sha256}`);
  return bytes;
}

/** The first `count` images of a split, reading only the chunks they lie in, LOAD_WINDOW_CHUNKS at a time. */
async function loadSplit(assets: Fetcher, split: DatasetSplit, pixelsPerImage: number, count: number): Promise<Dataset> {
  if (count > split.count) throw new DatasetError(`asked for ${count} images, the dataset has ${split.count}`);
  const images = new Uint8Array(count * pixelsPerImage);
  const chunks = split.imageChunks.slice(0, Math.ceil(count / split.imagesPerChunk));
  const chunkBytes = split.imagesPerChunk * pixelsPerImage;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const i = next++;
      const chunk = await fetchVerified(assets, chunks[i]);
      const offset = i * chunkBytes;
      images.set(chunk.subarray(0, Math.min(chunk.length, images.length - offset)), offset);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOAD_WINDOW_CHUNKS, chunks.length) }, worker));
  const labels = (await fetchVerified(assets, split.labels)).slice(0, count);
  return { count, pixelsPerImage, images, labels };
}

/** The first `count` images of a loaded split, as views: no copy. */
function prefix(data: Dataset, count: number): Dataset {
  if (count === data.count) return data;
  return {
    count,
    pixelsPerImage: data.pixelsPerImage,
    images: data.images.subarray(0, count * data.pixelsPerImage),
    labels: data.labels.subarray(0, count),
  };
}

/** What this isolate has loaded: per assets binding, the manifest and the largest prefix of each split. */
const loaded = new WeakMap<
  Fetcher,
  { manifest: Promise<DatasetManifest>; splits: Map<"train" | "test", { count: number; data: Promise<Dataset> }> }
>();

/** The first `count` images of split `name`, shared with every runner of this isolate. */
async function sharedSplit(assets: Fetcher, name: "train" | "test", count: number): Promise<Dataset> {
  let isolate = loaded.get(assets);
  if (!isolate) {
    const manifest = fetchAsset(assets, `${DATASET_DIR}/manifest.json`).then(
      (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as DatasetManifest,
    );
    isolate = { manifest, splits: new Map() };
    loaded.set(assets, isolate);
    // A failed fetch is not kept: the next load tries again.
    manifest.catch(() => loaded.delete(assets));
  }
  const held = isolate.splits.get(name);
  if (held && held.count >= count) return prefix(await held.data, count);
  // Recorded before any await: runners asking meanwhile wait for this load instead of starting their own.
  const { manifest } = isolate;
  const data = manifest.then((m) => loadSplit(assets, m[name], m.pixelsPerImage, count));
  const entry = { count, data };
  isolate.splits.set(name, entry);
  data.catch(() => isolate.splits.get(name) === entry && isolate.splits.delete(name));
  return data;
}

/** The first `trainSize` training and `testSize` test images of MNIST, as bytes; never to be written to. */
export async function loadDataset(assets: Fetcher, trainSize: number, testSize: number): Promise<MnistData> {
  // One split after the other: the window bounds the whole load.
  const train = await sharedSplit(assets, "train", trainSize);
  const test = await sharedSplit(assets, "test", testSize);
  return { train, test };
}
