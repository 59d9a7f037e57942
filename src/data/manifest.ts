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

/**
 * 1,000 images (784 KB) a chunk, so that a runner reads little more than the `trainSize` images it
 * uses (the default needs one chunk); `wrangler dev` also spends a socket per 4 KB a Worker reads
 * from its assets, so reading the whole set per runner would exhaust its file descriptors.
 */
export const IMAGES_PER_CHUNK = 1000;

/** Folder of the prepared files, under the static assets root. */
export const DATASET_DIR = "data";
