/**
 * Data files that may ship compressed: `name` or, when only that exists, `name.gz` (the public
 * C-MAPSS copy in datasets/ is gzip). Read whole or streamed, gunzipped on the way.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';

/** The path of `name` in `dir`, or of its `.gz` copy when only that exists. */
export function dataFile(dir: string, name: string): string {
  const plain = path.join(dir, name);
  if (existsSync(plain) || name.endsWith('.gz')) return plain;
  return existsSync(`${plain}.gz`) ? `${plain}.gz` : plain;
}

export const isGzip = (file: string) => file.toLowerCase().endsWith('.gz');

/** The file's text (UTF-8), gunzipped when it ends in .gz. */
export function readText(file: string): string {
  const bytes = readFileSync(file);
  return (isGzip(file) ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The file's bytes as a stream, and the raw stream whose bytesRead measures progress. */
export function openBytes(file: string): { bytes: Readable; raw: ReturnType<typeof createReadStream> } {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!isGzip(file)) return { bytes: raw, raw };
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return { bytes: raw.pipe(gunzip), raw };
}
