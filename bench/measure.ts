/** Wall-clock measurement for benchmarks only (never in a world: the emulator itself runs on virtual time). */
export interface Rate {
  readonly opsPerSecond: number;
  readonly ops: number;
  readonly seconds: number;
}

/**
 * Runs `op` for about `budgetMs`, in interleaved rounds with its ceiling so machine noise (the other
 * core, GC, thermal) hits both alike. Returns the value's and the ceiling's rates.
 */
export function measurePair(value: () => void, ceiling: () => void, budgetMs: number, rounds = 4): { value: Rate; ceiling: Rate } {
  for (let i = 0; i < 5; i++) {
    value();
    ceiling();
  }
  const totals = { value: { ops: 0, ms: 0 }, ceiling: { ops: 0, ms: 0 } };
  const slice = budgetMs / (2 * rounds);
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of [
      ['value', value],
      ['ceiling', ceiling],
    ] as const) {
      const start = performance.now();
      let ops = 0;
      let now = start;
      while (now - start < slice) {
        fn();
        ops++;
        now = performance.now();
      }
      totals[name].ops += ops;
      totals[name].ms += now - start;
    }
  }
  const rate = (t: { ops: number; ms: number }): Rate => ({ opsPerSecond: (t.ops * 1000) / t.ms, ops: t.ops, seconds: t.ms / 1000 });
  return { value: rate(totals.value), ceiling: rate(totals.ceiling) };
}
