/**
 * The rows of a mostly-zero matrix as their non-zeros (compressed sparse rows), for a network's
 * input: MNIST pixels are ~81% zero, so a batch is filled straight from the image bytes and
 * multiplied without a dense copy.
 */
export class SparseRows {
  /** Rows filled. */
  rows = 0;
  /** Column of each non-zero, row after row, ascending within a row. */
  readonly columns: Int32Array;
  /** Value of each non-zero. */
  readonly values: Float64Array;
  /** rowEnd[r]: one past row r's last non-zero. */
  readonly rowEnd: Int32Array;
  private dense: Float64Array | undefined;

  constructor(
    readonly cols: number,
    readonly maxRows: number,
  ) {
    this.columns = new Int32Array(maxRows * cols);
    this.values = new Float64Array(maxRows * cols);
    this.rowEnd = new Int32Array(maxRows);
  }

  /** Non-zeros in the filled rows. */
  get nonZeros(): number {
    return this.rows === 0 ? 0 : this.rowEnd[this.rows - 1];
  }

  /**
   * The filled rows as a dense rows×cols matrix, in a buffer made on first use and reused: for
   * products with a non-finite operand, where zeros can no longer be skipped.
   */
  toDense(): Float64Array {
    this.dense ??= new Float64Array(this.maxRows * this.cols);
    const { dense, columns, values, rowEnd, cols } = this;
    dense.fill(0, 0, this.rows * cols);
    for (let r = 0, t = 0; r < this.rows; r++) {
      for (; t < rowEnd[r]; t++) dense[r * cols + columns[t]] = values[t];
    }
    return dense;
  }
}
