/**
 * Sends rows to one QuestDB table over ILP/HTTP with bounded memory, backpressure and retries.
 *
 * Rows are copied into a columnar batch (typed arrays); a full batch is encoded and flushed by a
 * background task while the caller fills the next one, so parsing overlaps the network. At most
 * two batches exist: `append` awaits the previous flush before handing over a new one.
 *
 * A batch is encoded by the engine's IlpEncoder (ilp.ts: the bytes `@questdb/nodejs-client`'s
 * protocol-v2 Sender would produce, several times faster) and posted to QuestDB's ILP/HTTP
 * `/write` endpoint. The traps this design answers (docs/schema.md), which the client's Sender set
 * when it did both: a flush may never settle while the server refuses connections (our own
 * deadline per request); a failed request may still have been stored (DEDUP keys on event time
 * make the resend a no-op, never a server-side timestamp); the batch is kept until acknowledged
 * and resent whole, so nothing is dropped by a 400 or a close.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestConfig, QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { IlpEncoder } from './ilp.ts';
import { httpUrlOf } from './questdb-server.ts';
import { assertIdentifier } from './tables.ts';

export interface TableLayout {
  readonly table: string;
  readonly symbols: readonly string[];
  readonly doubles: readonly string[];
  /** INT / LONG columns; NaN is null. */
  readonly ints?: readonly string[];
  /** Non-designated TIMESTAMP columns in epoch microseconds; NaN is null. */
  readonly timestamps?: readonly string[];
  /** VARCHAR columns; null or '' is null. */
  readonly strings?: readonly string[];
  /**
   * Readings: every row also carries `sensor_set`, the digest of the sorted `doubles` (the sensors
   * this writer writes), which is part of the telemetry table's DEDUP key. A re-send replaces its
   * own rows, and never the values another source wrote for other sensors at the same instant.
   */
  readonly readings?: boolean;
}

/** The `sensor_set` of rows written with these sensor columns: stable, order-free, short. */
export function sensorSetOf(doubles: readonly string[]): string {
  return `ss_${createHash('sha256')
    .update([...doubles].sort().join(','))
    .digest('hex')
    .slice(0, 12)}`;
}

export interface WriterOptions {
  readonly batchRows?: number;
  readonly flushTimeoutMs?: number;
  readonly maxRetries?: number;
  /** Called after each acknowledged batch with the running total of rows acknowledged. */
  readonly onFlushed?: (rowsAcknowledged: number) => void;
}

export interface WriterStats {
  rowsAppended: number;
  rowsAcknowledged: number;
  batches: number;
  retries: number;
}

/** The client's ILP/HTTP configuration for the bare-client benchmarks (the Writer posts its own bytes: ilp.ts). */
export function senderConfig(cfg: QuestDbConfig, flushTimeoutMs: number): string {
  // auto_flush off: the writer decides batch boundaries. protocol_version=2 skips the /settings
  // round trip and sends doubles in binary. The client's own retry window stays below our deadline.
  const retry = Math.max(1, Math.floor(flushTimeoutMs / 2));
  return (
    `http::addr=${cfg.host}:${cfg.httpPort};auto_flush=off;protocol_version=2;` +
    `retry_timeout=${retry};request_timeout=${flushTimeoutMs};init_buf_size=8388608;max_buf_size=268435456;`
  );
}

/** What the engine writes rows through: the Writer, or the ParallelWriter for heavy streams. */
export interface RowWriter {
  readonly stats: WriterStats;
  append(
    ts: number,
    symbols: readonly (string | null)[],
    doubles: ArrayLike<number>,
    ints?: ArrayLike<number>,
    timestamps?: ArrayLike<number>,
    strings?: readonly (string | null)[],
  ): Promise<void>;
  /**
   * Appends `n` rows at once that share their symbols and carry only doubles (row-major,
   * `doubles[r * layout.doubles.length + j]`): a block of readings of one equipment. Same contract
   * as `append`, without a call and an await per row.
   */
  appendBlock(
    n: number,
    ts: Float64Array,
    symbols: readonly (string | null)[],
    doubles: Float64Array,
  ): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Rows as columns: what crosses to a parallel writer's worker (typed arrays are transferred). */
export interface ColumnBatch {
  readonly ts: Float64Array;
  readonly sym: readonly (string | null)[];
  readonly dbl: Float64Array;
  readonly int: Float64Array;
  readonly tsc: Float64Array;
  readonly str: readonly (string | null)[];
}

/** A batch of rows held columnar until QuestDB acknowledges it (also what the parallel writer fills). */
export class RowBatch implements ColumnBatch {
  n = 0;
  readonly ts: Float64Array;
  readonly sym: (string | null)[];
  readonly dbl: Float64Array;
  readonly int: Float64Array;
  readonly tsc: Float64Array;
  readonly str: (string | null)[];

  constructor(
    readonly capacity: number,
    readonly layout: TableLayout,
  ) {
    this.ts = new Float64Array(capacity);
    this.sym = new Array<string | null>(capacity * layout.symbols.length).fill(null);
    this.dbl = new Float64Array(capacity * layout.doubles.length);
    this.int = new Float64Array(capacity * (layout.ints?.length ?? 0));
    this.tsc = new Float64Array(capacity * (layout.timestamps?.length ?? 0));
    this.str = new Array<string | null>(capacity * (layout.strings?.length ?? 0)).fill(null);
  }

  /**
   * Adds one row (timestamp in epoch µs, then values in the layout's column order) and returns
   * whether the batch is now full.
   */
  put(
    ts: number,
    symbols: readonly (string | null)[],
    doubles: ArrayLike<number>,
    ints?: ArrayLike<number>,
    timestamps?: ArrayLike<number>,
    strings?: readonly (string | null)[],
  ): boolean {
    // The client rejects a non-integer timestamp inside at(), after the row is half-encoded.
    if (!Number.isSafeInteger(ts)) {
      throw new PdmError(
        ErrorCodes.WRITE_FAILED,
        `Invalid timestamp ${ts}: expected integer epoch microseconds`,
      );
    }
    const { symbols: sy, doubles: db } = this.layout;
    const ns = sy.length;
    const nd = db.length;
    const ni = this.layout.ints?.length ?? 0;
    const nt = this.layout.timestamps?.length ?? 0;
    const nstr = this.layout.strings?.length ?? 0;
    const r = this.n;
    this.ts[r] = ts;
    for (let j = 0; j < ns; j++) this.sym[r * ns + j] = symbols[j] ?? null;
    for (let j = 0; j < nd; j++) this.dbl[r * nd + j] = doubles[j] ?? NaN;
    for (let j = 0; j < ni; j++) this.int[r * ni + j] = ints?.[j] ?? NaN;
    for (let j = 0; j < nt; j++) this.tsc[r * nt + j] = timestamps?.[j] ?? NaN;
    for (let j = 0; j < nstr; j++) this.str[r * nstr + j] = strings?.[j] ?? null;
    this.n = r + 1;
    return this.n === this.capacity;
  }

  /**
   * Adds rows [from, from + count) of a block (the same symbols on every row, doubles row-major in
   * the layout's order, no other kinds) as far as they fit; returns how many were added.
   */
  putBlock(
    ts: Float64Array,
    symbols: readonly (string | null)[],
    doubles: Float64Array,
    from: number,
    count: number,
  ): number {
    const nd = this.layout.doubles.length;
    const ns = this.layout.symbols.length;
    const ni = this.layout.ints?.length ?? 0;
    const nt = this.layout.timestamps?.length ?? 0;
    const nstr = this.layout.strings?.length ?? 0;
    const take = Math.min(count, this.capacity - this.n);
    if (doubles.length < (from + take) * nd)
      throw new Error(`A block of ${take} rows needs ${(from + take) * nd} doubles, got ${doubles.length}`);
    for (let i = from; i < from + take; i++) {
      const t = ts[i] as number;
      if (!Number.isSafeInteger(t))
        throw new PdmError(
          ErrorCodes.WRITE_FAILED,
          `Invalid timestamp ${t}: expected integer epoch microseconds`,
        );
    }
    const r0 = this.n;
    this.ts.set(ts.subarray(from, from + take), r0);
    this.dbl.set(doubles.subarray(from * nd, (from + take) * nd), r0 * nd);
    for (let r = r0; r < r0 + take; r++)
      for (let j = 0; j < ns; j++) this.sym[r * ns + j] = symbols[j] ?? null;
    // Rows are reused: the kinds a block does not carry are cleared.
    if (ni > 0) this.int.fill(NaN, r0 * ni, (r0 + take) * ni);
    if (nt > 0) this.tsc.fill(NaN, r0 * nt, (r0 + take) * nt);
    if (nstr > 0) this.str.fill(null, r0 * nstr, (r0 + take) * nstr);
    this.n = r0 + take;
    return take;
  }
}

function isPermanent(err: unknown): boolean {
  const m = /statusCode=(\d{3})/.exec(String((err as Error)?.message ?? err));
  if (!m) return false;
  const status = Number(m[1]);
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class Writer implements RowWriter {
  readonly stats: WriterStats = { rowsAppended: 0, rowsAcknowledged: 0, batches: 0, retries: 0 };
  private readonly encoder: IlpEncoder;
  private readonly url: string;
  private current: RowBatch;
  private spare: RowBatch;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private readonly ns: number;
  private readonly nd: number;
  private readonly ni: number;
  private readonly nt: number;
  private readonly nstr: number;

  private constructor(
    cfg: QuestDbConfig,
    readonly layout: TableLayout,
    private readonly options: Required<Omit<WriterOptions, 'onFlushed'>> & Pick<WriterOptions, 'onFlushed'>,
  ) {
    this.encoder = new IlpEncoder(layout, layout.readings === true ? sensorSetOf(layout.doubles) : undefined);
    // QuestDB's ILP/HTTP endpoint, as the client addresses it.
    this.url = `${httpUrlOf(cfg)}/write?precision=n`;
    this.current = new RowBatch(options.batchRows, layout);
    this.spare = new RowBatch(options.batchRows, layout);
    this.ns = layout.symbols.length;
    this.nd = layout.doubles.length;
    this.ni = layout.ints?.length ?? 0;
    this.nt = layout.timestamps?.length ?? 0;
    this.nstr = layout.strings?.length ?? 0;
  }

  /** Opens a writer for one table; column names are validated here, once. */
  static async open(
    cfg: QuestDbConfig,
    ingest: IngestConfig,
    layout: TableLayout,
    options: WriterOptions = {},
  ): Promise<Writer> {
    assertIdentifier(layout.table, 'table name');
    const all = [
      ...layout.symbols,
      ...layout.doubles,
      ...(layout.ints ?? []),
      ...(layout.timestamps ?? []),
      ...(layout.strings ?? []),
    ];
    for (const c of all) assertIdentifier(c, 'column name');
    if (new Set(all).size !== all.length) throw new Error(`Duplicate column in layout of ${layout.table}`);
    const resolved = {
      batchRows: options.batchRows ?? ingest.batchRows,
      flushTimeoutMs: options.flushTimeoutMs ?? ingest.flushTimeoutMs,
      maxRetries: options.maxRetries ?? ingest.maxRetries,
      onFlushed: options.onFlushed,
    };
    return new Writer(cfg, layout, resolved);
  }

  /**
   * Adds one row: `ts` in epoch microseconds, then values in the layout's column order. Resolves
   * at once unless the batch is full, in which case it waits for the previous flush (backpressure).
   */
  async append(
    ts: number,
    symbols: readonly (string | null)[],
    doubles: ArrayLike<number>,
    ints?: ArrayLike<number>,
    timestamps?: ArrayLike<number>,
    strings?: readonly (string | null)[],
  ): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error('Writer is closed');
    const full = this.current.put(ts, symbols, doubles, ints, timestamps, strings);
    this.stats.rowsAppended++;
    if (full) await this.handOver();
  }

  async appendBlock(
    n: number,
    ts: Float64Array,
    symbols: readonly (string | null)[],
    doubles: Float64Array,
  ): Promise<void> {
    for (let r = 0; r < n;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.closed) throw new Error('Writer is closed');
      const took = this.current.putBlock(ts, symbols, doubles, r, n - r);
      r += took;
      this.stats.rowsAppended += took;
      if (this.current.n === this.current.capacity) await this.handOver();
    }
  }

  /**
   * Appends `n` rows given as columns laid out like the writer's own batch (row-major per kind:
   * `dbl[r * doubles + j]`), copying in bulk; used by the parallel writer's workers.
   */
  async appendColumns(n: number, cols: ColumnBatch): Promise<void> {
    const nd = this.nd;
    const ns = this.ns;
    const ni = this.ni;
    const nt = this.nt;
    const nstr = this.nstr;
    for (let r = 0; r < n;) {
      if (this.failure !== undefined) throw this.failure;
      const b = this.current;
      const take = Math.min(n - r, b.capacity - b.n);
      b.ts.set(cols.ts.subarray(r, r + take), b.n);
      b.dbl.set(cols.dbl.subarray(r * nd, (r + take) * nd), b.n * nd);
      if (ni > 0) b.int.set(cols.int.subarray(r * ni, (r + take) * ni), b.n * ni);
      if (nt > 0) b.tsc.set(cols.tsc.subarray(r * nt, (r + take) * nt), b.n * nt);
      for (let k = 0; k < take * ns; k++) b.sym[b.n * ns + k] = cols.sym[r * ns + k] ?? null;
      for (let k = 0; k < take * nstr; k++) b.str[b.n * nstr + k] = cols.str[r * nstr + k] ?? null;
      b.n += take;
      r += take;
      this.stats.rowsAppended += take;
      if (b.n === b.capacity) await this.handOver();
    }
  }

  /** Sends everything appended so far and waits until QuestDB acknowledged it. */
  async flush(): Promise<void> {
    if (this.current.n > 0) await this.handOver();
    await this.settle();
  }

  /** Flushes, then closes the sender. Rows are never dropped silently: a failure throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === undefined) await this.flush();
    } finally {
      this.closed = true;
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private async settle(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    if (this.failure !== undefined) throw this.failure;
  }

  private async handOver(): Promise<void> {
    await this.settle();
    const batch = this.current;
    this.current = this.spare;
    this.spare = batch;
    this.inFlight = this.send(batch).catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** Encodes one batch and posts it, retrying until acknowledged. */
  private async send(batch: RowBatch): Promise<void> {
    const { flushTimeoutMs, maxRetries } = this.options;
    const what = `${batch.n} rows to ${this.layout.table}`;
    let body: Buffer;
    try {
      body = this.encoder.encode(batch.n, batch);
    } catch (err) {
      // A value the protocol cannot carry: resending would not help.
      throw new PdmError(ErrorCodes.WRITE_FAILED, `Writing ${what} failed: ${(err as Error).message}`, {
        cause: err,
        detail: { table: this.layout.table, rows: batch.n },
      });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        // The request's own abort signal is its deadline: fetch settles by then, whatever the server does.
        await postIlp(this.url, body, flushTimeoutMs);
        break;
      } catch (err) {
        if (isPermanent(err) || attempt >= maxRetries) {
          throw new PdmError(
            ErrorCodes.WRITE_FAILED,
            `Writing ${what} failed after ${attempt + 1} attempt(s): ${(err as Error).message}`,
            { cause: err, detail: { table: this.layout.table, rows: batch.n } },
          );
        }
        this.stats.retries++;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    this.stats.batches++;
    this.stats.rowsAcknowledged += batch.n;
    batch.n = 0;
    this.options.onFlushed?.(this.stats.rowsAcknowledged);
  }
}

/**
 * One ILP/HTTP request: 204 is stored (QuestDB commits a request's rows together); any other
 * status throws with it in the message (`isPermanent` reads it). The signal is the request's
 * deadline, connection, answer and body included, and frees the connection it abandons.
 */
async function postIlp(url: string, body: Buffer, timeoutMs: number): Promise<void> {
  // fetch copies a view's bytes before sending (the encoder's buffer may be reused afterwards).
  let status: number;
  let text: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: body as unknown as BodyInit,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    if ((err as Error).name === 'TimeoutError')
      throw new Error(`HTTP request timeout: no answer from ${new URL(url).host} within ${timeoutMs} ms`);
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a reset) is its cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `HTTP request to ${new URL(url).host} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      { cause: err },
    );
  }
  if (status >= 200 && status < 300) return;
  throw new Error(`HTTP request failed, statusCode=${status}, error=${text.slice(0, 1000)}`);
}
