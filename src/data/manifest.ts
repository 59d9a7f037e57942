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

/** Images per chunk file (scripts/prepare-data.ts writes them so). */
export const IMAGES_PER_CHUNK = 1000;

/**
 * Chunks a loader fetches at once: each is copied into the assembled array and dropped, so a
 * load holds the assembled images plus at most this many chunks, never all chunks and their copy.
 */
export const LOAD_WINDOW_CHUNKS = 4;

/** Bytes of both label files, fetched whole whatever the count. */
export const LABEL_FILES_BYTES = 60000 + 10000;
