/** Requests a hostile client sends: small bodies that name enormous sweeps. */

/** Sixteen valid values of each grid field. */
const SIXTEEN = {
  learningRate: Array.from({ length: 16 }, (_, i) => 0.001 * (i + 1)),
  batchSize: Array.from({ length: 16 }, (_, i) => i + 1),
  optimizer: Array.from({ length: 16 }, (_, i) => ["sgd", "momentum", "adagrad", "adam"][i % 4]),
  activation: Array.from({ length: 16 }, (_, i) => ["relu", "sigmoid"][i % 2]),
  weightDecay: Array.from({ length: 16 }, (_, i) => i / 100),
  dropout: Array.from({ length: 16 }, (_, i) => i / 20),
  hiddenSizes: Array.from({ length: 16 }, (_, i) => [i + 1]),
  trainSize: Array.from({ length: 16 }, (_, i) => 100 + i),
};

/** Every grid field with 16 values: 16⁸ = 4,294,967,296 combinations in about 700 bytes. */
export const ALL_FIELDS_GRID = { weightScales: [1], epochs: 1, grid: SIXTEEN };

/** The 617-byte body: six fields × 16 values, 16⁶ combinations. */
export const SIX_FIELDS_GRID = {
  weightScales: [1],
  epochs: 1,
  grid: Object.fromEntries(Object.entries(SIXTEEN).slice(0, 6)),
};
