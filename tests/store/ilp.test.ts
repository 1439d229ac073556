/**
 * The engine's ILP encoder against its reference, `@questdb/nodejs-client`'s protocol-v2 Sender:
 * the same random batches through both, byte for byte. The client's bytes are captured as it sends
 * them, by a local HTTP server standing in for QuestDB's /write (the client has no public way to
 * read its buffer). Rows go through the client call by call, as the Writer did before it had an
 * encoder of its own.
 */
import { Sender } from '@questdb/nodejs-client';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../models/rng.ts';
import { IlpEncoder, ilpEscape } from '../../src/store/ilp.ts';
import { RowBatch, sensorSetOf } from '../../src/store/writer.ts';
import type { TableLayout } from '../../src/store/writer.ts';

let server: http.Server;
let port = 0;
let captured: Buffer[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      captured.push(Buffer.concat(parts));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The client's bytes for rows [0, n) of a batch: the calls the Writer made before the encoder. */
async function clientBytes(batch: RowBatch, layout: TableLayout): Promise<Buffer> {
  const sender = await Sender.fromConfig(
    `http::addr=127.0.0.1:${port};auto_flush=off;protocol_version=2;init_buf_size=65536;`,
  );
  const { table, symbols, doubles } = layout;
  const ints = layout.ints ?? [];
  const tscs = layout.timestamps ?? [];
  const strs = layout.strings ?? [];
  const [ns, nd, ni, nt, nstr] = [symbols.length, doubles.length, ints.length, tscs.length, strs.length];
  const set = layout.readings === true ? sensorSetOf(doubles) : undefined;
  for (let r = 0; r < batch.n; r++) {
    sender.table(table);
    for (let j = 0; j < ns; j++) {
      const v = batch.sym[r * ns + j];
      if (v !== null && v !== undefined && v !== '') sender.symbol(symbols[j] as string, v);
    }
    if (set !== undefined) sender.symbol('sensor_set', set);
    for (let j = 0; j < nd; j++) {
      const v = batch.dbl[r * nd + j] as number;
      if (v === v) sender.floatColumn(doubles[j] as string, v);
    }
    for (let j = 0; j < ni; j++) {
      const v = batch.int[r * ni + j] as number;
      if (v === v) sender.intColumn(ints[j] as string, v);
    }
    for (let j = 0; j < nt; j++) {
      const v = batch.tsc[r * nt + j] as number;
      if (v === v) sender.timestampColumn(tscs[j] as string, v, 'us');
    }
    for (let j = 0; j < nstr; j++) {
      const v = batch.str[r * nstr + j];
      if (v !== null && v !== undefined && v !== '') sender.stringColumn(strs[j] as string, v);
    }
    await sender.at(batch.ts[r] as number, 'us');
  }
  captured = [];
  await sender.flush();
  await sender.close();
  return Buffer.concat(captured);
}

const TEXTS = [
  'eq-001',
  'press 7',
  'a,b=c',
  'back\\slash',
  'quote"d',
  'line\nbreak',
  'cr\rx',
  'Größe µm',
  '温度',
  '😀 ok',
  'x',
];

function randomCase(seed: number): { layout: TableLayout; batch: RowBatch } {
  const u = mulberry32(seed); // deterministic: a failure names the seed that shows it
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)] as T;
  const names = (prefix: string, k: number) => Array.from({ length: k }, (_, i) => `${prefix}_${i}`);
  const layout: TableLayout = {
    table: pick(['telemetry', 'pdm_t_x', 'quality']),
    symbols: names('sym', 1 + Math.floor(u() * 3)),
    doubles: names('d', Math.floor(u() * 10)),
    ints: names('i', Math.floor(u() * 3)),
    timestamps: names('t', Math.floor(u() * 2)),
    strings: names('s', Math.floor(u() * 3)),
    readings: u() < 0.5,
  };
  const batch = new RowBatch(200, layout);
  const n = 1 + Math.floor(u() * 199);
  const special = [NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, Number.MIN_VALUE, 1e-300];
  for (let r = 0; r < n; r++) {
    const ts = 1_700_000_000_000_000 + Math.floor(u() * 1e12);
    const sym = layout.symbols.map(() => (u() < 0.15 ? (u() < 0.5 ? null : '') : pick(TEXTS)));
    const dbl = layout.doubles.map(() =>
      u() < 0.1 ? pick(special) : (u() - 0.5) * 10 ** Math.floor(u() * 12 - 4),
    );
    const ints = (layout.ints ?? []).map(() =>
      u() < 0.2 ? NaN : Math.round((u() - 0.5) * 2 ** Math.floor(u() * 53)),
    );
    const tsc = (layout.timestamps ?? []).map(() => (u() < 0.2 ? NaN : Math.floor(u() * 2e15)));
    const str = (layout.strings ?? []).map(() => (u() < 0.2 ? null : pick(TEXTS) + pick(TEXTS)));
    // Give every row something to write, as the client requires.
    if (sym.every((s) => !s) && !layout.readings) sym[0] = 'eq-001';
    batch.put(ts, sym, dbl, ints, tsc, str);
  }
  return { layout, batch };
}

describe('IlpEncoder', () => {
  it('produces the client Sender’s bytes on 60 random batches (names, escapes, NaN, ±Infinity, -0, unicode)', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { layout, batch } = randomCase(seed);
      const expected = await clientBytes(batch, layout);
      const enc = new IlpEncoder(layout, layout.readings ? sensorSetOf(layout.doubles) : undefined, 64);
      const got = enc.encode(batch.n, batch);
      expect(got.length, `seed ${seed}`).toBe(expected.length);
      expect(got.equals(expected), `seed ${seed}`).toBe(true);
      // The buffer is reused: a second, shorter batch through the same encoder is still exact.
      const half = Math.max(1, Math.floor(batch.n / 2));
      const again = enc.encode(half, batch);
      const saved = batch.n;
      batch.n = half;
      const expectedHalf = await clientBytes(batch, layout);
      batch.n = saved;
      expect(again.equals(expectedHalf), `seed ${seed}, half`).toBe(true);
    }
  });

  it('escapes like the client: unquoted names and symbols, quoted strings', () => {
    expect(ilpEscape('a b,c=d\\e"f\ng\rh', false)).toBe('a\\ b\\,c\\=d\\\\e"f\\\ng\\\rh');
    expect(ilpEscape('a b,c=d\\e"f\ng\rh', true)).toBe('a b,c=d\\\\e\\"f\\\ng\\\rh');
  });

  it('refuses what the client refuses: a non-integer int, a fractional timestamp, a row with nothing', () => {
    const layout: TableLayout = { table: 't', symbols: ['e'], doubles: ['d'], ints: ['i'] };
    const b = new RowBatch(4, layout);
    b.put(1, ['x'], [1], [1.5]);
    expect(() => new IlpEncoder(layout).encode(b.n, b)).toThrow(/integer/);
    const empty = new RowBatch(4, layout);
    empty.put(1, [null], [NaN], [NaN]);
    expect(() => new IlpEncoder(layout).encode(empty.n, empty)).toThrow(/no value/);
    const frac = new RowBatch(4, layout);
    frac.put(1, ['x'], [1], [1]);
    frac.ts[0] = 1.5;
    expect(() => new IlpEncoder(layout).encode(frac.n, frac)).toThrow(/integer epoch/);
  });
});
