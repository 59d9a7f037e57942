/**
 * An experiment as bytes and back. Layout: "BNX" and the format version (one digit), CRC-32 of
 * everything after it (u32 LE), header length (u32 LE), JSON header, zero padding to 8 bytes,
 * then every tensor as float64 LE in the header's order. The bytes are cut
 * into pieces of at most `pieceBytes`, so that each fits one value of whatever store the caller uses.
 */

import type { MnistData } from "../data/dataset";
import type { ExperimentConfig } from "./config";
import { crc32 } from "./crc32";
import { Experiment, type Trainee } from "./experiment";

const MAGIC = "BNX";
/** The format this engine writes and reads; any other is refused, never guessed at. */
export const CHECKPOINT_VERSION = 3;
/** Bytes before the JSON header. */
const PREAMBLE = 12;

interface Header {
  config: ExperimentConfig;
  iteration: number;
  lists: Experiment["lists"];
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

/** Serializes the whole state of `exp` into pieces of at most `pieceBytes` bytes. */
export function saveExperiment(exp: Experiment, pieceBytes: number): Uint8Array[] {
  const tensors = stateTensors(exp);
  const rng = exp.rng.getState();
  const header: Header = {
    config: exp.config,
    iteration: exp.iteration,
    lists: exp.lists,
    rng: { key: Array.from(rng.key), pos: rng.pos, hasGauss: rng.hasGauss, gauss: rng.gauss },
    optimizerScalars: exp.trainees.map((t) => t.optimizer.getState().scalars),
    tensors: tensors.map(([name, t]) => ({ name, length: t.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(PREAMBLE + json.length);
  const total = dataStart + 8 * tensors.reduce((s, [, t]) => s + t.length, 0);
  const bytes = new Uint8Array(total);
  bytes.set(new TextEncoder().encode(`${MAGIC}${CHECKPOINT_VERSION}`), 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, json.length, true);
  bytes.set(json, PREAMBLE);
  let offset = dataStart;
  for (const [, t] of tensors) {
    for (let i = 0; i < t.length; i++, offset += 8) view.setFloat64(offset, t[i], true);
  }
  view.setUint32(4, crc32(bytes.subarray(8)), true);
  const pieces: Uint8Array[] = [];
  for (let start = 0; start < total; start += pieceBytes) pieces.push(bytes.slice(start, start + pieceBytes));
  return pieces;
}

/** Rebuilds an experiment from {@link saveExperiment}'s pieces; it continues exactly where it stopped. */
export function restoreExperiment(pieces: readonly Uint8Array[], data: MnistData): Experiment {
  const bytes = concat(pieces);
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (bytes.length < PREAMBLE || !magic.startsWith(MAGIC)) throw new CheckpointError(`checkpoint does not start with ${MAGIC}`);
  if (magic !== `${MAGIC}${CHECKPOINT_VERSION}`) {
    throw new CheckpointError(`checkpoint is format ${magic}; this engine reads ${MAGIC}${CHECKPOINT_VERSION}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes.subarray(8)) !== view.getUint32(4, true)) throw new CheckpointError("checkpoint checksum does not match");
  const jsonLength = view.getUint32(8, true);
  if (PREAMBLE + jsonLength > bytes.length) throw new CheckpointError("checkpoint header is truncated");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE, PREAMBLE + jsonLength))) as Header;
  const exp = new Experiment(header.config, data);
  const tensors = stateTensors(exp);
  const expected = tensors.map(([name, t]) => `${name}:${t.length}`).join(",");
  const found = header.tensors.map(({ name, length }) => `${name}:${length}`).join(",");
  if (expected !== found) throw new CheckpointError("checkpoint tensors do not fit the network of its config");
  let offset = align8(PREAMBLE + jsonLength);
  if (bytes.length !== offset + 8 * tensors.reduce((s, [, t]) => s + t.length, 0)) {
    throw new CheckpointError(`checkpoint has ${bytes.length} bytes, its header describes another size`);
  }
  for (const [, t] of tensors) {
    for (let i = 0; i < t.length; i++, offset += 8) t[i] = view.getFloat64(offset, true);
  }
  exp.trainees.forEach(({ optimizer }, s) => {
    optimizer.setState({ tensors: optimizer.getState().tensors, scalars: header.optimizerScalars[s] ?? [] });
  });
  exp.rng.setState({ ...header.rng, key: Uint32Array.from(header.rng.key) });
  exp.iteration = header.iteration;
  Object.assign(exp.lists, header.lists);
  return exp;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
