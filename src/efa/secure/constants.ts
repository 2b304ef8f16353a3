// Wire constants of the secure link (our assumed design, research/efa-srd.md §3.3–3.4: AWS publishes only
// "AEAD, 256-bit"; the layout below follows PSP/UET TSS in spirit, not any AWS format).

export const LINK_VERSION_1 = 1;
/** A version we refuse: it exists so a downgrade test has something to downgrade to. */
export const LINK_VERSION_0 = 0;
export const LINK_SUITE_P384_AES256GCM_SHA384 = 0x0001;
/** Integrity and confidentiality off: never accepted while downgrade protection is on. */
export const LINK_SUITE_NULL = 0x0000;
export const LINK_FLAG_ENCRYPT = 0x01;

/**
 * Crypto bytes on the wire per packet: 16 B security header (spi u32, epoch u16, context u16, counter u64) + 16 B
 * GCM tag. FabricConfig.headerBytes (96 by default) already counts them: a transport sizes an unprotected packet
 * with `headerBytes − SECURE_LINK_OVERHEAD_BYTES` and `seal()` adds them back, so encryption on and off differ by
 * exactly these bytes (plus the crypto latency below) and nothing else.
 */
export const SECURE_LINK_OVERHEAD_BYTES = 32;
export const SECURE_LINK_HEADER_BYTES = 16;
/** AES-GCM pipeline latency per direction, inside FabricConfig.nicLatencyPs (research §5.2: 0.1–0.2 µs). */
export const SECURE_LINK_CRYPTO_LATENCY_PS = 150_000;

/** Below 2^32 invocations by a wide margin: TLS 1.3's AES-GCM record limit is 2^24.5 full records. */
export const REKEY_AFTER_PACKETS_DEFAULT = 1 << 24;
/** Hard cap on packets sealed under one key whatever else happens. */
export const KEY_USAGE_PACKETS_MAX = 2 ** 32 - 1;
/** Epoch is 16 bits in the nonce. */
export const EPOCHS_MAX = 0xffff;
/** The counter is 64 bits in the nonce; we keep it a safe integer (2^53 transmissions is unreachable). */
export const TX_COUNTER_BITS_DEFAULT = 53;
/** Bitmap anti-replay window: tolerates SRD's out-of-order arrival up to this many transmissions behind the newest. */
export const REPLAY_WINDOW_DEFAULT = 4096;
export const JOB_ID_BYTES_MAX = 64;
