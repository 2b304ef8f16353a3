/**
 * CRC-32/ISO-HDLC (the zlib / IEEE 802.3 CRC: reflected polynomial 0xEDB88320, init and final XOR
 * 0xFFFFFFFF). The EIF header's `eif_crc32` is this CRC over every byte of the file except the four
 * bytes of the field itself (image-format README, `EifBuilder::compute_crc`).
 */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Incremental: feed chunks in order, read `value` at the end. */
export class Crc32 {
  #state = 0xffffffff;

  update(bytes: Uint8Array): this {
    let c = this.#state;
    for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    this.#state = c;
    return this;
  }

  get value(): number {
    return (this.#state ^ 0xffffffff) >>> 0;
  }
}

export function crc32(bytes: Uint8Array): number {
  return new Crc32().update(bytes).value;
}
