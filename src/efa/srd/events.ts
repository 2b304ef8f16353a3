import type { Fabric, Ps } from '../contracts.ts';
import { isNetFabric } from '../net/index.ts';

/** Registered-handler events: the fabric's closure-free path when it has one, else `schedule` closures. */
export interface EventPort {
  register(handler: (arg: unknown, num: number) => void): number;
  post(atPs: Ps, handlerId: number, arg: unknown, num: number): void;
}

export function eventPort(fabric: Fabric): EventPort {
  if (isNetFabric(fabric)) {
    return { register: (handler) => fabric.registerHandler(handler), post: (at, id, arg, num) => fabric.post(at, id, arg, num) };
  }
  const handlers: ((arg: unknown, num: number) => void)[] = [];
  return {
    register(handler) {
      handlers.push(handler);
      return handlers.length - 1;
    },
    post(at, id, arg, num) {
      const handler = handlers[id]!;
      fabric.schedule(at, () => handler(arg, num));
    },
  };
}
