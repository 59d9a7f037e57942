/** The network of the book's `MultiLayerNetExtend`, its layers, optimizers and matrix products. */

export {
  matmul,
  matmulSparse,
  matmulSparseTransA,
  matmulTransA,
  matmulTransB,
  matmulTransBMasked,
} from "./linalg/matmul";
export { SparseRows } from "./linalg/sparse-rows";
export { ACTIVATIONS, type Activation, MultiLayerNet, type MultiLayerNetOptions, type WeightScale } from "./multi-layer-net";
export { createOptimizer } from "./optimizers/create-optimizer";
export { OPTIMIZER_KINDS, type Optimizer, type OptimizerKind } from "./optimizers/optimizer";
