import type { DeviceEvent } from './types.ts';

/** The device's event trace, bounded: past the cap the oldest event goes and the drop is counted. */
export const EVENTS_MAX = 4096;

export class DeviceEventLog {
  #events: DeviceEvent[] = [];
  #dropped = 0;

  push(kind: string, fields: Readonly<Record<string, string | number | boolean>>): void {
    if (this.#events.length >= EVENTS_MAX) {
      this.#events.shift();
      this.#dropped++;
    }
    this.#events.push({ kind, fields });
  }

  get dropped(): number {
    return this.#dropped;
  }

  drain(): DeviceEvent[] {
    const out = this.#events;
    this.#events = [];
    return out;
  }
}
