import { describe, expect, it } from 'vitest';
import { Des } from '../../src/sim/index.ts';

describe('Des (fast event kernel)', () => {
  it('runs events in (time, seq) order whatever the insertion order', () => {
    const des = new Des();
    const seen: string[] = [];
    const h = des.register((arg, num) => seen.push(`${des.now}:${String(arg)}:${num}`));
    // Pseudo-random times with many ties, to exercise both sift directions.
    const expected: [number, number, string][] = [];
    let x = 7;
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const t = x % 50;
      des.at(t, h, `e${i}`, i);
      expected.push([t, i, `${t}:e${i}:${i}`]);
    }
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(des.run()).toBe(500);
    expect(seen).toEqual(expected.map((e) => e[2]));
  });

  it('honours untilPs and eventsMax, and cancel skips an event', () => {
    const des = new Des();
    const seen: number[] = [];
    const h = des.register((_a, n) => seen.push(n));
    for (let i = 0; i < 10; i++) des.at(i * 100, h, null, i);
    const cancelled = des.at(450, h, null, 99);
    des.cancel(cancelled);
    expect(des.run({ untilPs: 350 })).toBe(4);
    expect(des.now).toBe(350);
    expect(des.run({ eventsMax: 2 })).toBe(2);
    expect(des.now).toBe(500);
    expect(des.run()).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(des.eventsRun).toBe(10);
  });

  it('refuses events in the past and non-integer times', () => {
    const des = new Des();
    const h = des.register(() => {});
    des.at(1000, h);
    des.run();
    expect(() => des.at(999, h)).toThrow(/assertion/);
    expect(() => des.at(1000.5, h)).toThrow(/assertion/);
  });

  it('refuses to run from inside a handler, and stays usable after', () => {
    const des = new Des();
    let error: unknown;
    const h = des.register(() => {
      try {
        des.run();
      } catch (e) {
        error = e;
      }
    });
    des.at(5, h);
    des.at(6, h);
    expect(des.run()).toBe(2);
    expect(String(error)).toMatch(/inside an event handler/);
    des.at(7, h);
    expect(des.run()).toBe(1);
  });

  it('grows past its initial capacity and keeps order', () => {
    const des = new Des();
    let last = -1;
    let ok = true;
    const h = des.register((_a, n) => {
      if (n < last) ok = false;
      last = n;
    });
    for (let i = 5000; i > 0; i--) des.at(i, h, null, i);
    expect(des.run()).toBe(5000);
    expect(ok).toBe(true);
  });
});
