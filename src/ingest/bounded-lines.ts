/**
 * The lines of a stream (a file for `pdm ingest`, an NDJSON request body), bounded: readline would
 * buffer a line of any length, and fastify's bodyLimit covers buffered parsers only. A declared
 * length over the limit is refused before a byte is read; a stream that grows past it or a line
 * longer than the line limit stops (status 413 for the API), bytes that are not UTF-8 stop with
 * the byte offset (400), and a leading byte-order mark is dropped. Lines read before a limit was
 * reached have been ingested (they are idempotent: send the rest again).
 */
import type { Readable } from 'node:stream';
import { ErrorCodes, PdmError } from '../errors.ts';

/** An input the line reader refuses, with the HTTP status the API answers it with. */
function refused(field: string, reason: string, status: 400 | 413, hint?: string): PdmError {
  return new PdmError(ErrorCodes.INGEST_INPUT, `${field}: ${reason}`, {
    detail: { status, field, ...(hint === undefined ? {} : { hint }) },
  });
}

export interface LineLimits {
  readonly maxBytes: number;
  readonly maxLine: number;
  /** The request's Content-Length or the file's size; NaN when unknown (chunked). */
  readonly declaredLength: number;
  /** What the stream is, in messages: "body" (the API) or the file name. */
  readonly what?: string;
  /** The setting that raises the limits, named in messages. */
  readonly settings?: { readonly bytes: string; readonly line: string };
}

export async function* boundedLines(body: Readable, o: LineLimits): AsyncGenerator<string> {
  const what = o.what ?? 'body';
  const settings = o.settings ?? { bytes: 'PDM_API_NDJSON_MAX_BYTES', line: 'PDM_API_NDJSON_MAX_LINE' };
  if (o.declaredLength > o.maxBytes) {
    body.resume(); // let the socket drain; the answer is already decided
    throw refused(
      what,
      `${o.declaredLength} bytes: the limit is ${o.maxBytes} bytes (${settings.bytes})`,
      413,
      'split it',
    );
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let pending = '';
  let line = 0;
  let first = true;
  const tooLong = () =>
    refused(
      `${what}.line ${line + 1}`,
      `longer than the ${o.maxLine}-character line limit (${settings.line})`,
      413,
    );
  const decode = (chunk: Buffer | undefined): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw refused(what, `not valid UTF-8 (within the first ${bytes} bytes); convert it to UTF-8`, 400);
    }
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > o.maxBytes)
      throw refused(
        what,
        `more than the ${o.maxBytes}-byte limit (${settings.bytes}); the lines before it were ingested`,
        413,
        'send the rest again separately (rows are idempotent)',
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
