/** Progress on stderr, only when stderr is a terminal (never in pipes, CI logs or JSON consumers). */
export function terminalProgress(
  stream: NodeJS.WriteStream = process.stderr,
): ((progress: { stage: string; done: number; total: number }) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return ({ stage, done, total }) => {
    stream.write(`\r\x1b[2K${stage}: ${done}/${total}`);
    if (done === total) stream.write('\r\x1b[2K');
  };
}

/**
 * A running count on stderr for work whose total is not known up front (a rehearsal's durable host
 * steps), only when stderr is a terminal; `done()` clears the line before the result is printed.
 */
export function terminalTicker(stream: NodeJS.WriteStream = process.stderr): { tick(label: string): void; done(): void } | undefined {
  if (!stream.isTTY) return undefined;
  return {
    tick: (label) => stream.write(`\r\x1b[2K${label}`),
    done: () => stream.write('\r\x1b[2K'),
  };
}
