// The process's stdin as the CLI needs it: whether a person is at a terminal, and one line at a time.
export interface LineInput {
  /** True only when stdin is a terminal: commands never wait for a line from a pipe or a file. */
  readonly isTty: boolean;
  /** The next line (without waiting for more than one); undefined at end of input. */
  readLine(): Promise<string | undefined>;
}

export function processStdin(stream: NodeJS.ReadStream = process.stdin): LineInput {
  return {
    isTty: Boolean(stream.isTTY),
    readLine: () =>
      new Promise((resolve) => {
        const done = (line: string | undefined) => {
          stream.off('data', onData);
          stream.off('end', onEnd);
          // Paused again so a finished command does not keep the process alive waiting for input.
          stream.pause();
          resolve(line);
        };
        const onData = (chunk: Buffer | string) => done(String(chunk).replace(/\r?\n[\s\S]*$/, ''));
        const onEnd = () => done(undefined);
        stream.on('data', onData);
        stream.once('end', onEnd);
        stream.resume();
      }),
  };
}
