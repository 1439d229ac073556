/**
 * Sends rows to one QuestDB table over ILP/HTTP with bounded memory, backpressure and retries.
 *
 * Rows are copied into a columnar batch (typed arrays); a full batch is encoded and flushed by a
 * background task while the caller fills the next one, so parsing overlaps the network. At most
 * two batches exist: `append` awaits the previous flush before handing over a new one.
 *
 * The client's traps this design answers (docs/schema.md): `flush()` may never settle while the
 * server refuses connections (our own deadline per flush); a failed flush may still have been
 * stored (DEDUP keys on event time make the resend a no-op, never `atNow()`); a 400 drops the
 * rows from the client's buffer and `close()` drops unflushed rows (we keep our own copy of the
 * batch until it is acknowledged, and resend it through a fresh Sender).
 */
import { createHash } from 'node:crypto';
import { Sender } from '@questdb/nodejs-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestConfig, QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
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

/** The ILP/HTTP configuration string shared by the writer and the bare-client benchmark. */
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

  /** Encodes rows [0, n) into the sender's buffer. */
  encode(sender: Sender): void {
    const { table, symbols, doubles } = this.layout;
    const ints = this.layout.ints ?? [];
    const tscs = this.layout.timestamps ?? [];
    const strs = this.layout.strings ?? [];
    const ns = symbols.length;
    const nd = doubles.length;
    const ni = ints.length;
    const nt = tscs.length;
    const nstr = strs.length;
    const set = this.layout.readings === true ? sensorSetOf(doubles) : undefined;
    for (let r = 0; r < this.n; r++) {
      sender.table(table);
      for (let j = 0; j < ns; j++) {
        const v = this.sym[r * ns + j];
        if (v !== null && v !== undefined && v !== '') sender.symbol(symbols[j] as string, v);
      }
      if (set !== undefined) sender.symbol('sensor_set', set);
      for (let j = 0; j < nd; j++) {
        const v = this.dbl[r * nd + j] as number;
        // NaN is a missing reading: leave the column out so QuestDB stores NULL.
        if (v === v) sender.floatColumn(doubles[j] as string, v);
      }
      for (let j = 0; j < ni; j++) {
        const v = this.int[r * ni + j] as number;
        if (v === v) sender.intColumn(ints[j] as string, v);
      }
      for (let j = 0; j < nt; j++) {
        const v = this.tsc[r * nt + j] as number;
        if (v === v) sender.timestampColumn(tscs[j] as string, v, 'us');
      }
      for (let j = 0; j < nstr; j++) {
        const v = this.str[r * nstr + j];
        if (v !== null && v !== undefined && v !== '') sender.stringColumn(strs[j] as string, v);
      }
      // at() is async only to auto-flush, which is off here: its body has already run when it
      // returns. Awaiting 50k resolved promises per batch would double the encode time.
      sender.at(this.ts[r] as number, 'us').catch(() => {});
    }
  }
}

function isPermanent(err: unknown): boolean {
  const m = /statusCode=(\d{3})/.exec(String((err as Error)?.message ?? err));
  if (!m) return false;
  const status = Number(m[1]);
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PdmError(ErrorCodes.WRITE_TIMEOUT, `${what} did not settle within ${ms} ms`)),
      ms,
    );
  });
  // A flush abandoned at its deadline may still reject later: swallow that, the batch is resent.
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class Writer implements RowWriter {
  readonly stats: WriterStats = { rowsAppended: 0, rowsAcknowledged: 0, batches: 0, retries: 0 };
  private sender: Sender;
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
    private readonly cfg: QuestDbConfig,
    readonly layout: TableLayout,
    sender: Sender,
    private readonly options: Required<Omit<WriterOptions, 'onFlushed'>> & Pick<WriterOptions, 'onFlushed'>,
  ) {
    this.sender = sender;
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
    const sender = await Sender.fromConfig(senderConfig(cfg, resolved.flushTimeoutMs));
    return new Writer(cfg, layout, sender, resolved);
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
      await this.sender.close().catch(() => {});
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

  /** Encodes and flushes one batch, retrying through a fresh Sender until acknowledged. */
  private async send(batch: RowBatch): Promise<void> {
    const { flushTimeoutMs, maxRetries } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        batch.encode(this.sender);
        await withDeadline(
          this.sender.flush(),
          flushTimeoutMs,
          `Flush of ${batch.n} rows to ${this.layout.table}`,
        );
        break;
      } catch (err) {
        // The client's buffer may hold part of this batch (encode threw) or be stuck: start afresh.
        const old = this.sender;
        old.reset();
        void old.close().catch(() => {});
        if (isPermanent(err) || attempt >= maxRetries) {
          throw new PdmError(
            ErrorCodes.WRITE_FAILED,
            `Writing ${batch.n} rows to ${this.layout.table} failed after ${attempt + 1} attempt(s): ${(err as Error).message}`,
            { cause: err, detail: { table: this.layout.table, rows: batch.n } },
          );
        }
        this.stats.retries++;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
        this.sender = await Sender.fromConfig(senderConfig(this.cfg, flushTimeoutMs));
      }
    }
    this.stats.batches++;
    this.stats.rowsAcknowledged += batch.n;
    batch.n = 0;
    this.options.onFlushed?.(this.stats.rowsAcknowledged);
  }
}
