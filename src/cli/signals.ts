// The serving commands stop on SIGTERM or SIGINT: signals are the CLI's wiring, the servers only know how to close.

/** Resolves when a signal arrives; the returned function removes the handlers. */
export function untilSignal(): { stopped: Promise<string>; dispose(): void } {
  let dispose = (): void => undefined;
  const stopped = new Promise<string>((resolve) => {
    const on = (signal: string) => () => resolve(signal);
    const term = on('SIGTERM');
    const int = on('SIGINT');
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
    dispose = () => {
      process.off('SIGTERM', term);
      process.off('SIGINT', int);
    };
  });
  return { stopped, dispose: () => dispose() };
}
