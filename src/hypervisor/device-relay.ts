import { EmuError } from '../errors.ts';

/**
 * The SPDM mailbox of an assigned device is a host-side transport: the enclave's driver writes a request, the host
 * carries it to the device's mailbox and the response back (research/gpu-cc.md §1.4: the RM↔GSP queue lives in
 * memory the host sees). The parent that holds the PCIe function therefore sees every message and may drop, rewrite
 * or replay any of them; SPDM's signatures and transcript hashes are what make that harmless (DEV-01, DEV-05).
 */
export type MailboxDirection = 'to-device' | 'to-enclave';

export interface MailboxMessage {
  /** Position in the relay's history (counts every message ever carried, including dropped ones). */
  readonly seq: number;
  readonly direction: MailboxDirection;
  /** As it was carried on (after any rewrite); empty when the relay dropped it. */
  readonly bytes: Uint8Array;
  readonly dropped: boolean;
}

/** The parent's hold on one device's mailbox relay (the RelayControl pattern of src/world, for SPDM). */
export interface DeviceMailboxRelay {
  readonly deviceId: string;
  /** Sees each message as it leaves the relay (what the parent's ledger records). */
  observe: ((message: MailboxMessage) => void) | undefined;
  /**
   * Returns the bytes to carry on instead (the same bytes, others, or an old recorded message: replay), or null
   * to drop the message: the enclave's request then times out (HOST_DEVICE_MAILBOX_TIMEOUT).
   */
  rewrite: ((direction: MailboxDirection, bytes: Uint8Array) => Uint8Array | null) | undefined;
  /** The last MAILBOX_HISTORY_MAX messages carried, oldest first. */
  readonly history: readonly MailboxMessage[];
  /** The parent writes the mailbox itself (a request of its own, or a recorded one replayed) and reads the answer. */
  inject(request: Uint8Array): Uint8Array;
}

export const MAILBOX_HISTORY_MAX = 256;
/** Beyond any SPDM message the emulated devices send (a certificate chain is a few KiB). */
export const MAILBOX_MESSAGE_BYTES_MAX = 64 * 1024;

export class MailboxRelay implements DeviceMailboxRelay {
  readonly deviceId: string;
  observe: ((message: MailboxMessage) => void) | undefined;
  rewrite: ((direction: MailboxDirection, bytes: Uint8Array) => Uint8Array | null) | undefined;
  readonly #history: MailboxMessage[] = [];
  readonly #mailbox: (request: Uint8Array) => Uint8Array;
  #seq = 0;

  /** `mailbox` reaches whatever device sits in the slot now (so a swapped device answers). */
  constructor(deviceId: string, mailbox: (request: Uint8Array) => Uint8Array) {
    this.deviceId = deviceId;
    this.#mailbox = mailbox;
  }

  get history(): readonly MailboxMessage[] {
    return [...this.#history];
  }

  /** The enclave's transport: request out through the relay, response back through it. */
  carry(request: Uint8Array): Uint8Array {
    const toDevice = this.#pass('to-device', request);
    if (toDevice === null) this.#timeout('request');
    const response = this.#pass('to-enclave', this.#mailbox(toDevice));
    if (response === null) this.#timeout('response');
    return response;
  }

  inject(request: Uint8Array): Uint8Array {
    checkSize(request);
    return this.#mailbox(request.slice());
  }

  #pass(direction: MailboxDirection, bytes: Uint8Array): Uint8Array | null {
    checkSize(bytes);
    const carried = this.rewrite === undefined ? bytes.slice() : this.rewrite(direction, bytes.slice());
    if (carried !== null) checkSize(carried);
    const message: MailboxMessage = Object.freeze({
      seq: this.#seq++,
      direction,
      bytes: carried === null ? new Uint8Array(0) : carried.slice(),
      dropped: carried === null,
    });
    if (this.#history.length >= MAILBOX_HISTORY_MAX) this.#history.shift();
    this.#history.push(message);
    this.observe?.(message);
    return carried;
  }

  #timeout(what: string): never {
    throw new EmuError('HOST_DEVICE_MAILBOX_TIMEOUT', `device ${this.deviceId}: the SPDM ${what} never arrived`, { deviceId: this.deviceId });
  }
}

function checkSize(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAILBOX_MESSAGE_BYTES_MAX) {
    throw new EmuError('HOST_DEVICE_MAILBOX_OVERSIZE', `an SPDM message is at most ${MAILBOX_MESSAGE_BYTES_MAX} bytes`);
  }
}
