/** CRC-32 (IEEE 802.3, the one of zip and PNG): the checksum that tells a damaged checkpoint. */

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The CRC-32 of `bytes` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  return crc32Of([bytes]);
}

/** The CRC-32 of `parts` one after the other, as if they were one array. */
export function crc32Of(parts: Iterable<Uint8Array>): number {
  let c = -1;
  for (const bytes of parts) for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
