// The host NIC under a baseline transport: one line-rate pacer shared by every connection of the host (the
// kernel/NIC queue in front of the host link), the optional wire protection, and strict checks on what arrives.
import type { Fabric, HostId, Packet, PacketProtector, Ps } from '../contracts.ts';
import { assert } from '../../errors.ts';

/**
 * Crypto bytes per packet (16 B security header + 16 B tag). FabricConfig.headerBytes counts them, so an
 * unprotected packet is that much shorter and `seal()` adds them back (the secure link's convention).
 */
export const CRYPTO_OVERHEAD_BYTES = 32;

/** A connection the pacer may ask for its next packet when the host link is free. */
export interface PacedSource {
  nextPacket(): Packet | null;
}

export interface NicCounters {
  packetsSent: number;
  bytesSent: number;
  acksSent: number;
  droppedUnauthentic: number;
  droppedCorrupt: number;
  droppedMalformed: number;
}

/** Wire time of `bytes` at `gbps`, in picoseconds (bits · 1000 / Gb/s). */
export function wirePs(bytes: number, gbps: number): Ps {
  return Math.round((bytes * 8 * 1000) / gbps);
}

export class BaselineNic {
  readonly counters: NicCounters = { packetsSent: 0, bytesSent: 0, acksSent: 0, droppedUnauthentic: 0, droppedCorrupt: 0, droppedMalformed: 0 };
  readonly #sources: PacedSource[] = [];
  #cursor = 0;
  /** When the host link has finished serialising everything this NIC handed it. */
  #linkFreePs = 0;
  #wakeScheduled = false;
  readonly #headerBytes: number;
  readonly #ackBytes: number;

  constructor(
    readonly fabric: Fabric,
    readonly host: HostId,
    private readonly protector: PacketProtector | undefined,
    onPacket: (packet: Packet) => void,
  ) {
    assert(Number.isSafeInteger(host) && host >= 0 && host < fabric.hostCount, `host ${host} is not on the fabric`);
    const { headerBytes, ackBytes } = fabric.config;
    assert(headerBytes > CRYPTO_OVERHEAD_BYTES && ackBytes > CRYPTO_OVERHEAD_BYTES, 'header sizes must include the crypto overhead');
    this.#headerBytes = headerBytes - CRYPTO_OVERHEAD_BYTES;
    this.#ackBytes = ackBytes - CRYPTO_OVERHEAD_BYTES;
    fabric.attach(host, (packet) => {
      const opened = this.protector === undefined ? packet : this.protector.open(packet);
      if (opened === null) {
        this.counters.droppedUnauthentic++;
        return;
      }
      // Without the AEAD a flipped bit is still caught by the Ethernet FCS: a drop, never a delivery.
      if (opened.corrupted === true) {
        this.counters.droppedCorrupt++;
        return;
      }
      onPacket(opened);
    });
  }

  dataWireBytes(payloadBytes: number): number {
    return payloadBytes + this.#headerBytes;
  }

  get ackWireBytes(): number {
    return this.#ackBytes;
  }

  addSource(source: PacedSource): void {
    this.#sources.push(source);
  }

  /** A connection has something new to send: start the pacer if it is idle. */
  kick(): void {
    if (this.#wakeScheduled) return;
    const now = this.fabric.now;
    if (this.#linkFreePs > now) {
      this.#wakeAt(this.#linkFreePs);
      return;
    }
    const packet = this.#pick();
    if (packet === null) return;
    this.#transmit(packet);
    this.counters.packetsSent++;
    this.counters.bytesSent += packet.wireBytes;
    this.#wakeAt(this.#linkFreePs);
  }

  /** ACKs and NAKs go out at once; their wire time still delays the next data packet. */
  sendControl(packet: Packet): void {
    this.#transmit(packet);
    this.counters.acksSent++;
  }

  noteMalformed(): void {
    this.counters.droppedMalformed++;
  }

  #transmit(packet: Packet): void {
    const sealed = this.protector === undefined ? packet : this.protector.seal(packet);
    const now = this.fabric.now;
    this.#linkFreePs = Math.max(now, this.#linkFreePs) + wirePs(sealed.wireBytes, this.fabric.config.linkGbps);
    this.fabric.send(sealed);
  }

  #pick(): Packet | null {
    const n = this.#sources.length;
    for (let i = 0; i < n; i++) {
      const source = this.#sources[(this.#cursor + i) % n]!;
      const packet = source.nextPacket();
      if (packet !== null) {
        this.#cursor = (this.#cursor + i + 1) % n;
        return packet;
      }
    }
    return null;
  }

  #wakeAt(atPs: Ps): void {
    this.#wakeScheduled = true;
    this.fabric.schedule(atPs, () => {
      this.#wakeScheduled = false;
      this.kick();
    });
  }
}

/**
 * One lazily re-armed timer: moving the deadline later (every ACK does) costs no event; an event fires at the
 * earliest armed deadline and re-schedules itself if the deadline moved.
 */
export class LazyTimer {
  #deadlinePs: Ps | null = null;
  #eventPs: Ps | null = null;
  #cancel: (() => void) | null = null;

  constructor(
    private readonly fabric: Fabric,
    private readonly onFire: () => void,
  ) {}

  get armed(): boolean {
    return this.#deadlinePs !== null;
  }

  arm(deadlinePs: Ps): void {
    this.#deadlinePs = deadlinePs;
    if (this.#eventPs !== null && this.#eventPs <= deadlinePs) return;
    this.#cancel?.();
    this.#schedule(deadlinePs);
  }

  disarm(): void {
    this.#deadlinePs = null;
  }

  #schedule(atPs: Ps): void {
    this.#eventPs = atPs;
    this.#cancel = this.fabric.schedule(atPs, () => {
      this.#eventPs = null;
      this.#cancel = null;
      const deadline = this.#deadlinePs;
      if (deadline === null) return;
      if (deadline > this.fabric.now) {
        this.#schedule(deadline);
        return;
      }
      this.#deadlinePs = null;
      this.onFire();
    });
  }
}
