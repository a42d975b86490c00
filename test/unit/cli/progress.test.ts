import { describe, expect, it } from 'vitest';

import { terminalProgress } from '../../../lib/cli/progress.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

describe('terminal progress', () => {
  it('is silent when stderr is not a terminal', () => {
    expect(terminalProgress(stream(false).stream)).toBeUndefined();
  });

  it('rewrites one line per update on a terminal and clears it when a stage is done', () => {
    const { written, stream: tty } = stream(true);
    const report = terminalProgress(tty)!;
    report({ stage: 'subscriptions', done: 1, total: 2 });
    report({ stage: 'subscriptions', done: 2, total: 2 });
    expect(written).toEqual(['\r\x1b[2Ksubscriptions: 1/2', '\r\x1b[2Ksubscriptions: 2/2', '\r\x1b[2K']);
  });
});
