/**
 * The lines of an NDJSON request body, bounded: fastify's bodyLimit covers buffered parsers only,
 * and readline would buffer a line of any length. Here a declared Content-Length over the limit
 * is refused before a byte is read, a body that grows past it or a line longer than the line limit
 * stops with 413, bytes that are not UTF-8 with 400, and a leading byte-order mark is dropped.
 * Lines read before a limit was reached have been ingested (they are idempotent: send the rest again).
 */
import type { Readable } from 'node:stream';
import { InvalidInput } from '../plugins/app/problem.ts';

export interface LineLimits {
  readonly maxBytes: number;
  readonly maxLine: number;
  /** The request's Content-Length, NaN when chunked. */
  readonly declaredLength: number;
}

export async function* boundedLines(body: Readable, o: LineLimits): AsyncGenerator<string> {
  if (o.declaredLength > o.maxBytes) {
    body.resume(); // let the socket drain; the answer is already decided
    throw new InvalidInput(
      'body',
      `${o.declaredLength} bytes: the NDJSON limit is ${o.maxBytes} bytes`,
      'split it into several requests',
      413,
    );
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let pending = '';
  let line = 0;
  let first = true;
  const tooLong = () =>
    new InvalidInput(
      `body.line ${line + 1}`,
      `longer than the ${o.maxLine}-byte line limit (PDM_API_NDJSON_MAX_LINE)`,
      undefined,
      413,
    );
  const decode = (chunk: Buffer | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw new InvalidInput('body', `not valid UTF-8 (within the first ${bytes} bytes)`);
    }
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > o.maxBytes)
      throw new InvalidInput(
        'body',
        `more than the ${o.maxBytes}-byte NDJSON limit (PDM_API_NDJSON_MAX_BYTES); the lines before it were ingested`,
        'send the rest in another request (rows are idempotent)',
        413,
      );
    let text = pending + decode(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end - start > o.maxLine) throw tooLong();
      line++;
      yield text.slice(start, end);
      start = nl + 1;
    }
    pending = text.slice(start);
    if (pending.length > o.maxLine) throw tooLong();
  }
  pending += decode(undefined);
  if (first && pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
  if (pending.length > 0) yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}
