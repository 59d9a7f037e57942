/** MNIST: IDX parsing, images kept as bytes and normalized per batch, the prepared-assets manifest. */

export { type Dataset, gatherSparseRows, type MnistData, makeDataset } from "./dataset";
export {
  DATASET_DIR,
  type DatasetFile,
  type DatasetManifest,
  type DatasetSplit,
  IMAGES_PER_CHUNK,
  LABEL_FILES_BYTES,
  LOAD_WINDOW_CHUNKS,
} from "./manifest";
export { IdxFormatError, parseIdxImages, parseIdxLabels } from "./mnist";
