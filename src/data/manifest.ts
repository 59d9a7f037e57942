/** The compact form of MNIST served as static assets: raw pixel chunks plus a manifest of checksums. */

/** One file of the prepared dataset. */
export interface DatasetFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** Images of one split, cut into chunks of `imagesPerChunk` images (the last may hold fewer). */
export interface DatasetSplit {
  count: number;
  imagesPerChunk: number;
  imageChunks: DatasetFile[];
  labels: DatasetFile;
}

/** What `scripts/prepare-data.ts` writes to `public/data/manifest.json`. */
export interface DatasetManifest {
  version: 1;
  pixelsPerImage: number;
  train: DatasetSplit;
  test: DatasetSplit;
}

/** Folder of the prepared files, under the static assets root. */
export const DATASET_DIR = "data";
