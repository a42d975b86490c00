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
