/**
 * HTTP request bodies read within a byte limit, and only once the caller is authorized.
 *
 * The Functions host accepts bodies up to 100 MB (Learn: "Azure Functions HTTP trigger", Limits:
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#limits),
 * and `await request.text()` decoded all of it, even for a caller about to get a 401. A handler
 * instead receives a {@link BodyReader} and calls it after its role check: a `content-length` over
 * the limit is refused without reading a byte, and a body without one (or with one that lies) is
 * read as a stream and cut off as soon as it passes the limit.
 */

/** A body that is not read yet: read it with the handler's limit, after the role check. */
export type BodyReader = (limitBytes: number) => Promise<BodyRead>;

/** What a handler is given: the body's text (tests, callers that already hold it) or a reader. */
export type RequestBody = string | BodyReader;

/** The body's text, or why it was refused (a 413 message naming the limit). */
export type BodyRead = { text: string } | { tooLarge: string };

/** The parts of a Fetch API `Request` (and of `@azure/functions`' HttpRequest) the reader uses. */
export interface StreamedRequest {
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/** `2 MiB (2097152 bytes)`: a limit as people read it, with the exact figure. */
export function describeByteLimit(limitBytes: number): string {
  const mebibytes = limitBytes / 1_048_576;
  const kibibytes = limitBytes / 1024;
  const unit = Number.isInteger(mebibytes) ? `${mebibytes} MiB` : Number.isInteger(kibibytes) ? `${kibibytes} KiB` : `${limitBytes} bytes`;
  return unit.endsWith('bytes') ? unit : `${unit} (${limitBytes} bytes)`;
}

function tooLarge(limitBytes: number, seen: string): BodyRead {
  return { tooLarge: `body: larger than the limit of ${describeByteLimit(limitBytes)} (${seen}); send a smaller request` };
}

/** Reads `request`'s body within `limitBytes` (see the module comment); a reader for {@link RequestBody}. */
export function bodyReader(request: StreamedRequest): BodyReader {
  return (limitBytes) => readBoundedBody(request, limitBytes);
}

export async function readBoundedBody(request: StreamedRequest, limitBytes: number): Promise<BodyRead> {
  const declared = request.headers.get('content-length');
  // A malformed content-length is left to the stream cap: the front end frames the body, not this header.
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limitBytes) {
    await request.body?.cancel().catch(() => undefined);
    return tooLarge(limitBytes, `content-length ${declared.trim()}`);
  }
  if (request.body === null) return { text: '' };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return tooLarge(limitBytes, `more than ${limitBytes} bytes arrived`);
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks, total).toString('utf8') };
}

/** A {@link RequestBody}'s text within `limitBytes`; a string body is held to the same limit. */
export async function readRequestBody(body: RequestBody, limitBytes: number): Promise<BodyRead> {
  if (typeof body !== 'string') return body(limitBytes);
  const bytes = Buffer.byteLength(body, 'utf8');
  return bytes > limitBytes ? tooLarge(limitBytes, `${bytes} bytes`) : { text: body };
}
