/**
 * An experiment as bytes and back. Layout: "BNX" and the format version (one digit), CRC-32 of
 * everything after it (u32 LE), header length (u32 LE), JSON header, zero padding to 8 bytes,
 * then every tensor as float64 LE in the header's order, then every list point likewise (JSON
 * would turn a diverged run's NaN into null). The bytes are written straight into pieces of at
 * most `pieceBytes` (and read from them), so that each fits one value of whatever store the
 * caller uses and no second copy of the whole is ever held.
 */

import type { MnistData } from "../data/dataset";
import type { ExperimentConfig } from "./config";
import { crc32Of } from "./crc32";
import { Experiment, type NetworkLists, type Trainee } from "./experiment";

const MAGIC = "BNX";
/** The format this engine writes and reads; any other is refused, never guessed at. */
export const CHECKPOINT_VERSION = 4;
/** Bytes before the JSON header. */
const PREAMBLE = 12;

interface Header {
  config: ExperimentConfig;
  iteration: number;
  /** Each list's length per network; the points follow the tensors. */
  listLengths: Record<keyof NetworkLists, number[]>;
  rng: { key: number[]; pos: number; hasGauss: boolean; gauss: number };
  /** Per network, in study order. */
  optimizerScalars: number[][];
  tensors: { name: string; length: number }[];
}

/** A checkpoint that cannot be read back, with what is wrong. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

function traineeTensors({ spec, net, optimizer }: Trainee): [string, Float64Array][] {
  const prefix = spec.name;
  const out: [string, Float64Array][] = net.params().map((p) => [`${prefix}.${p.name}`, p.value]);
  net.batchNorms.forEach((bn, i) => {
    for (const [name, t] of Object.entries(bn.buffers())) out.push([`${prefix}.bn${i + 1}.${name}`, t]);
  });
  optimizer.getState().tensors.forEach((t, i) => {
    out.push([`${prefix}.opt${i}`, t]);
  });
  return out;
}

/** Every tensor of the experiment's state, in checkpoint order. */
function stateTensors(exp: Experiment): [string, Float64Array][] {
  return exp.trainees.flatMap(traineeTensors);
}

const LIST_NAMES = ["train", "test", "loss"] as const satisfies readonly (keyof NetworkLists)[];

/** Every list of every network, in checkpoint order. */
function listsInOrder(lists: NetworkLists): number[][] {
  return LIST_NAMES.flatMap((name) => lists[name]);
}

/** Bytes laid out across pieces: a position is (piece, offset), reads and writes may straddle two pieces. */
class Pieces {
  private readonly views: DataView[];
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(
    readonly pieces: readonly Uint8Array[],
    private readonly pieceBytes: number,
  ) {
    this.views = pieces.map((p) => new DataView(p.buffer, p.byteOffset, p.byteLength));
  }

  /** Pieces of at most `pieceBytes` for `total` bytes, zeroed. */
  static allocate(total: number, pieceBytes: number): Pieces {
    const pieces: Uint8Array[] = [];
    for (let start = 0; start < total; start += pieceBytes) pieces.push(new Uint8Array(Math.min(pieceBytes, total - start)));
    return new Pieces(pieces, pieceBytes);
  }

  get length(): number {
    return this.pieces.reduce((sum, p) => sum + p.length, 0);
  }

  setBytes(offset: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const at = offset + i;
      this.pieces[Math.floor(at / this.pieceBytes)][at % this.pieceBytes] = bytes[i];
    }
  }

  getBytes(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const at = offset + i;
      out[i] = this.pieces[Math.floor(at / this.pieceBytes)][at % this.pieceBytes];
    }
    return out;
  }

  setFloat64(offset: number, value: number): void {
    const p = Math.floor(offset / this.pieceBytes);
    const at = offset - p * this.pieceBytes;
    if (at + 8 <= this.pieces[p].length) {
      this.views[p].setFloat64(at, value, true);
      return;
    }
    this.scratch.setFloat64(0, value, true);
    this.setBytes(offset, new Uint8Array(this.scratch.buffer));
  }

  getFloat64(offset: number): number {
    const p = Math.floor(offset / this.pieceBytes);
    const at = offset - p * this.pieceBytes;
    if (at + 8 <= this.pieces[p].length) return this.views[p].getFloat64(at, true);
    new Uint8Array(this.scratch.buffer).set(this.getBytes(offset, 8));
    return this.scratch.getFloat64(0, true);
  }

  setUint32(offset: number, value: number): void {
    this.scratch.setUint32(0, value, true);
    this.setBytes(offset, new Uint8Array(this.scratch.buffer, 0, 4));
  }

  getUint32(offset: number): number {
    new Uint8Array(this.scratch.buffer).set(this.getBytes(offset, 4));
    return this.scratch.getUint32(0, true);
  }

  /** The CRC-32 of every byte from `offset` on. */
  crc32From(offset: number): number {
    const p = Math.floor(offset / this.pieceBytes);
    return crc32Of([this.pieces[p].subarray(offset - p * this.pieceBytes), ...this.pieces.slice(p + 1)]);
  }
}

/** Serializes the whole state of `exp` into pieces of at most `pieceBytes` bytes. */
export function saveExperiment(exp: Experiment, pieceBytes: number): Uint8Array[] {
  const tensors = stateTensors(exp);
  const rng = exp.rng.getState();
  const header: Header = {
    config: exp.config,
    iteration: exp.iteration,
    listLengths: Object.fromEntries(
      LIST_NAMES.map((name) => [name, exp.lists[name].map((l) => l.length)]),
    ) as Header["listLengths"],
    rng: { key: Array.from(rng.key), pos: rng.pos, hasGauss: rng.hasGauss, gauss: rng.gauss },
    optimizerScalars: exp.trainees.map((t) => t.optimizer.getState().scalars),
    tensors: tensors.map(([name, t]) => ({ name, length: t.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(PREAMBLE + json.length);
  const values: ArrayLike<number>[] = [...tensors.map(([, t]) => t), ...listsInOrder(exp.lists)];
  const out = Pieces.allocate(dataStart + 8 * values.reduce((s, t) => s + t.length, 0), pieceBytes);
  out.setBytes(0, new TextEncoder().encode(`${MAGIC}${CHECKPOINT_VERSION}`));
  out.setUint32(8, json.length);
  out.setBytes(PREAMBLE, json);
  let offset = dataStart;
  for (const t of values) {
    for (let i = 0; i < t.length; i++, offset += 8) out.setFloat64(offset, t[i]);
  }
  out.setUint32(4, out.crc32From(8));
  return [...out.pieces];
}

/** Rebuilds an experiment from {@link saveExperiment}'s pieces; it continues exactly where it stopped. */
export function restoreExperiment(pieces: readonly Uint8Array[], data: MnistData): Experiment {
  // Every piece but the last is as long as the first, the size they were cut at; the last no longer.
  const size = pieces[0]?.length ?? 0;
  if (size === 0 || pieces.some((p, i) => (i < pieces.length - 1 ? p.length !== size : p.length === 0 || p.length > size))) {
    throw new CheckpointError("checkpoint pieces are missing or of sizes they were never cut at");
  }
  const bytes = new Pieces(pieces, size);
  const total = bytes.length;
  const magic = total >= 4 ? new TextDecoder().decode(bytes.getBytes(0, 4)) : "";
  if (total < PREAMBLE || !magic.startsWith(MAGIC)) throw new CheckpointError(`checkpoint does not start with ${MAGIC}`);
  if (magic !== `${MAGIC}${CHECKPOINT_VERSION}`) {
    throw new CheckpointError(`checkpoint is format ${magic}; this engine reads ${MAGIC}${CHECKPOINT_VERSION}`);
  }
  if (pieces.slice(0, -1).some((p) => p.length !== pieces[0].length))
    throw new CheckpointError("checkpoint pieces differ in size");
  if (bytes.crc32From(8) !== bytes.getUint32(4)) throw new CheckpointError("checkpoint checksum does not match");
  const jsonLength = bytes.getUint32(8);
  if (PREAMBLE + jsonLength > total) throw new CheckpointError("checkpoint header is truncated");
  const header = JSON.parse(new TextDecoder().decode(bytes.getBytes(PREAMBLE, jsonLength))) as Header;
  const exp = new Experiment(header.config, data);
  const tensors = stateTensors(exp);
  const expected = tensors.map(([name, t]) => `${name}:${t.length}`).join(",");
  const found = header.tensors.map(({ name, length }) => `${name}:${length}`).join(",");
  if (expected !== found) throw new CheckpointError("checkpoint tensors do not fit the network of its config");
  const lengths = LIST_NAMES.flatMap((name) => header.listLengths?.[name] ?? []);
  const fits = (name: keyof NetworkLists) => header.listLengths?.[name]?.length === exp.trainees.length;
  if (!LIST_NAMES.every(fits) || !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new CheckpointError("checkpoint lists do not fit the networks of its config");
  }
  let offset = align8(PREAMBLE + jsonLength);
  const points = lengths.reduce((s, n) => s + n, 0);
  if (total !== offset + 8 * (tensors.reduce((s, [, t]) => s + t.length, 0) + points)) {
    throw new CheckpointError(`checkpoint has ${total} bytes, its header describes another size`);
  }
  for (const [, t] of tensors) {
    for (let i = 0; i < t.length; i++, offset += 8) t[i] = bytes.getFloat64(offset);
  }
  listsInOrder(exp.lists).forEach((list, l) => {
    for (let i = 0; i < lengths[l]; i++, offset += 8) list.push(bytes.getFloat64(offset));
  });
  exp.trainees.forEach(({ optimizer }, s) => {
    optimizer.setState({ tensors: optimizer.getState().tensors, scalars: header.optimizerScalars[s] ?? [] });
  });
  exp.rng.setState({ ...header.rng, key: Uint32Array.from(header.rng.key) });
  exp.iteration = header.iteration;
  return exp;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
