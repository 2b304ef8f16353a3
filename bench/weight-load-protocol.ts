/** Messages between the enclave side (main thread) and the device side (worker) of the weight-load benchmark. */
export type ToDevice =
  | { readonly kind: 'init'; readonly sessionSecret: Uint8Array; readonly capacityBytes: number }
  /** Scrub every page to zero before the load, as device memory exists (and is scrubbed at reset) before weights arrive. */
  | { readonly kind: 'reserve' }
  /** `staged` is the bounce buffer; its ArrayBuffer is transferred, never copied. */
  | { readonly kind: 'chunk'; readonly index: number; readonly address: number; readonly staged: Uint8Array }
  | { readonly kind: 'finish'; readonly lengthBytes: number };

export type FromDevice =
  | { readonly kind: 'ready'; readonly rssBytes: number }
  | { readonly kind: 'reserved'; readonly rssBytes: number }
  | { readonly kind: 'written'; readonly index: number; readonly rssBytes: number }
  /** heapGrowthBytes: the device thread's JS heap from ready to the last write, mostly the page objects. */
  | { readonly kind: 'done'; readonly sha256Hex: string; readonly residentPages: number; readonly heapGrowthBytes: number }
  /** After a failure the device drops every later chunk, so nothing past the bad one is written. */
  | {
      readonly kind: 'failed';
      readonly code: string;
      readonly message: string;
      readonly residentPages: number;
      /** SHA-256 over all of device memory at the failure, so a test can see exactly what was written. */
      readonly memorySha256Hex: string;
    };
