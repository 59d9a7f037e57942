/** The face every layer shows: forward, backward, parameters and state. */

/** A parameter and the gradient buffer the layer writes for it. */
export interface Param {
  name: string;
  value: Float64Array;
  grad: Float64Array;
}

/**
 * A layer over row-major batches of `rows` rows. `forward` and `backward` return buffers the
 * layer owns and reuses (sized for `maxRows`), so a training step allocates nothing.
 */
export interface Layer {
  readonly kind: string;
  forward(x: Float64Array, rows: number, train: boolean): Float64Array;
  backward(dout: Float64Array, rows: number): Float64Array;
  /** Trainable parameters with their gradients (empty for layers without any). */
  params(): Param[];
  /** Non-trainable tensors a checkpoint must keep (BN running statistics). */
  buffers(): Record<string, Float64Array>;
}
