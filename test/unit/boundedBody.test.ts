import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { describeByteLimit, readBoundedBody, readRequestBody } from '../../lib/boundedBody.js';
import { boundedRecord, readJsonBody } from '../../lib/jsonBody.js';

/** A request whose body arrives in the given chunks, counting what is pulled. */
function streamed(chunks: readonly string[], headers: Record<string, string> = {}) {
  const pulled = { chunks: 0, cancelled: false };
  let next = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[next++];
        if (chunk === undefined) return controller.close();
        pulled.chunks += 1;
        controller.enqueue(new TextEncoder().encode(chunk));
      },
      cancel() {
        pulled.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { request: { headers: new Headers(headers), body }, pulled };
}

describe('readBoundedBody', () => {
  it('reads a body within the limit, joining chunks (a character split across two stays whole)', async () => {
    const { request } = streamed(['{"a":', '"b"}']);
    expect(await readBoundedBody(request, 100)).toEqual({ text: '{"a":"b"}' });
    const euro = Buffer.from('€');
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(euro.subarray(0, 2)));
        controller.enqueue(new Uint8Array(euro.subarray(2)));
        controller.close();
      },
    });
    expect(await readBoundedBody({ headers: new Headers(), body: split }, 3)).toEqual({ text: '€' });
  });

  it('refuses a content-length over the limit without pulling a chunk', async () => {
    const { request, pulled } = streamed(['x'.repeat(10)], { 'content-length': '2000' });
    expect(await readBoundedBody(request, 1024)).toEqual({
      tooLarge: 'body: larger than the limit of 1 KiB (1024 bytes) (content-length 2000); send a smaller request',
    });
    expect(pulled).toEqual({ chunks: 0, cancelled: true });
  });

  it('stops in the chunk that crosses the limit when content-length is missing, lies or is malformed', async () => {
    for (const headers of [{}, { 'content-length': '1' }, { 'content-length': 'lots' }] as Array<Record<string, string>>) {
      const { request, pulled } = streamed(['x'.repeat(60), 'x'.repeat(60), 'x'.repeat(60)], headers);
      expect(await readBoundedBody(request, 100), JSON.stringify(headers)).toEqual({
        tooLarge: 'body: larger than the limit of 100 bytes (more than 100 bytes arrived); send a smaller request',
      });
      expect(pulled).toEqual({ chunks: 2, cancelled: true });
    }
  });

  it('an absent body is empty text', async () => {
    expect(await readBoundedBody({ headers: new Headers(), body: null }, 10)).toEqual({ text: '' });
  });
});

describe('readRequestBody and readJsonBody', () => {
  it('holds a string body to the same limit, counting UTF-8 bytes', async () => {
    expect(await readRequestBody('€€', 6)).toEqual({ text: '€€' });
    expect(await readRequestBody('€€', 5)).toHaveProperty('tooLarge');
  });

  it('413 for an oversized body, 400 naming the field, a blank body standing for `empty`', async () => {
    const schema = z.object({ ids: z.array(z.string().max(3)).max(2) }).strict();
    expect(await readJsonBody('{"ids":[]}'.padEnd(100, ' '), schema, { limitBytes: 50 })).toMatchObject({ status: 413 });
    expect(await readJsonBody('{"ids":["a","b","c"]}', schema, { limitBytes: 50 })).toEqual({
      status: 400,
      error: 'ids: Too big: expected array to have <=2 items',
    });
    expect(await readJsonBody(' ', z.object({}).strict(), { limitBytes: 50, empty: '{}' })).toEqual({ data: {} });
  });

  it('boundedRecord names its entry limit', () => {
    const schema = z.object({ tags: boundedRecord(z.string(), z.string(), 2) });
    expect(schema.safeParse({ tags: { a: '1', b: '2', c: '3' } }).error?.issues[0]).toMatchObject({ path: ['tags'], message: 'must have at most 2 entries' });
  });

  it('describes limits as people read them', () => {
    expect([describeByteLimit(2 * 1_048_576), describeByteLimit(65_536), describeByteLimit(100)]).toEqual([
      '2 MiB (2097152 bytes)',
      '64 KiB (65536 bytes)',
      '100 bytes',
    ]);
  });
});
