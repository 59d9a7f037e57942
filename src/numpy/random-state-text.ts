/**
 * A {@link NumpyRandomState} as text, to travel in a runner's spec: the 624 key words, the
 * position, the Gaussian cache flag and the cached value's 64 bits, little-endian, in base64.
 */

import type { NumpyRandomState } from "./random-state";

const KEY_WORDS = 624;
const BYTES = KEY_WORDS * 4 + 4 + 4 + 8;

export function encodeRandomState({ key, pos, hasGauss, gauss }: NumpyRandomState): string {
  const bytes = new Uint8Array(BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < KEY_WORDS; i++) view.setUint32(4 * i, key[i], true);
  view.setUint32(4 * KEY_WORDS, pos, true);
  view.setUint32(4 * KEY_WORDS + 4, hasGauss ? 1 : 0, true);
  view.setFloat64(4 * KEY_WORDS + 8, gauss, true);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The state {@link encodeRandomState} wrote; a RangeError for text that is not one. */
export function decodeRandomState(text: string): NumpyRandomState {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RangeError("a random state must be base64");
  }
  if (binary.length !== BYTES) throw new RangeError(`a random state holds ${BYTES} bytes, not ${binary.length}`);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const key = new Uint32Array(KEY_WORDS);
  for (let i = 0; i < KEY_WORDS; i++) key[i] = view.getUint32(4 * i, true);
  return {
    key,
    pos: view.getUint32(4 * KEY_WORDS, true),
    hasGauss: view.getUint32(4 * KEY_WORDS + 4, true) === 1,
    gauss: view.getFloat64(4 * KEY_WORDS + 8, true),
  };
}
