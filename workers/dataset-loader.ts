/** Reads the prepared MNIST assets through the ASSETS binding, checking every file's SHA-256. */

import {
  DATASET_DIR,
  type Dataset,
  type DatasetFile,
  type DatasetManifest,
  type DatasetSplit,
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

/** The first `count` images of a split, reading only the chunks they lie in. */
async function loadSplit(assets: Fetcher, split: DatasetSplit, pixelsPerImage: number, count: number): Promise<Dataset> {
  if (count > split.count) throw new DatasetError(`asked for ${count} images, the dataset has ${split.count}`);
  const images = new Uint8Array(count * pixelsPerImage);
  const chunks = Math.ceil(count / split.imagesPerChunk);
  const loaded = await Promise.all(split.imageChunks.slice(0, chunks).map((f) => fetchVerified(assets, f)));
  let offset = 0;
  for (const chunk of loaded) {
    const take = Math.min(chunk.length, images.length - offset);
    images.set(chunk.subarray(0, take), offset);
    offset += take;
  }
  const labels = (await fetchVerified(assets, split.labels)).slice(0, count);
  return { count, pixelsPerImage, images, labels };
}

/** The first `trainSize` training and `testSize` test images of MNIST, as bytes. */
export async function loadDataset(assets: Fetcher, trainSize: number, testSize: number): Promise<MnistData> {
  const manifest = JSON.parse(
    new TextDecoder().decode(await fetchAsset(assets, `${DATASET_DIR}/manifest.json`)),
  ) as DatasetManifest;
  const [train, test] = await Promise.all([
    loadSplit(assets, manifest.train, manifest.pixelsPerImage, trainSize),
    loadSplit(assets, manifest.test, manifest.pixelsPerImage, testSize),
  ]);
  return { train, test };
}
