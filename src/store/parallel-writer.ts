/**
 * The Writer's contract (append, flush, close; bounded memory, retries, nothing dropped) with the
 * encoding spread over worker threads, one Sender each. The client's per-row encoding is what limits
 * one Sender (docs/schema.md); here the calling thread only copies rows into a columnar batch and
 * hands full batches to the next free worker (typed arrays transferred, not copied). At most one
 * batch per worker is in flight plus the one being filled: `append` waits for a free worker.
 * Batches from different workers may commit in any order; DEDUP keys keep that harmless.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { IngestConfig, QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { assertIdentifier } from './tables.ts';
import type { RowWriter, TableLayout, WriterStats } from './writer.ts';

interface Slot {
  readonly worker: Worker;
  busy: Promise<void> | undefined;
}

export class ParallelWriter implements RowWriter {
  readonly stats: WriterStats = { rowsAppended: 0, rowsAcknowledged: 0, batches: 0, retries: 0 };
  private n = 0;
  private ts!: Float64Array;
  private sym!: (string | null)[];
  private dbl!: Float64Array;
  private int!: Float64Array;
  private tsc!: Float64Array;
  private str!: (string | null)[];
  private next = 0;
  private failure: Error | undefined;
  private readonly ns: number;
  private readonly nd: number;
  private readonly ni: number;
  private readonly nt: number;
  private readonly nstr: number;

  private constructor(
    readonly layout: TableLayout,
    private readonly slots: Slot[],
    private readonly batchRows: number,
  ) {
    this.ns = layout.symbols.length;
    this.nd = layout.doubles.length;
    this.ni = layout.ints?.length ?? 0;
    this.nt = layout.timestamps?.length ?? 0;
    this.nstr = layout.strings?.length ?? 0;
    this.fresh();
  }

  static async open(
    cfg: QuestDbConfig,
    ingest: IngestConfig,
    layout: TableLayout,
    workers = Math.max(1, availableParallelism()),
  ): Promise<ParallelWriter> {
    assertIdentifier(layout.table, 'table name');
    const url = new URL('./parallel-writer-worker.js', import.meta.url);
    const slots = Array.from({ length: workers }, () => ({
      worker: new Worker(url, { workerData: { cfg, ingest, layout, batchRows: ingest.batchRows } }),
      busy: undefined,
    }));
    return new ParallelWriter(layout, slots, ingest.batchRows);
  }

  private fresh(): void {
    const c = this.batchRows;
    this.ts = new Float64Array(c);
    this.sym = new Array<string | null>(c * this.ns).fill(null);
    this.dbl = new Float64Array(c * this.nd);
    this.int = new Float64Array(c * this.ni);
    this.tsc = new Float64Array(c * this.nt);
    this.str = new Array<string | null>(c * this.nstr).fill(null);
    this.n = 0;
  }

  /** Same arguments as Writer.append. */
  async append(
    ts: number,
    symbols: readonly (string | null)[],
    doubles: ArrayLike<number>,
    ints?: ArrayLike<number>,
    timestamps?: ArrayLike<number>,
    strings?: readonly (string | null)[],
  ): Promise<void> {
    if (this.failure) throw this.failure;
    if (!Number.isSafeInteger(ts))
      throw new PdmError(
        ErrorCodes.WRITE_FAILED,
        `Invalid timestamp ${ts}: expected integer epoch microseconds`,
      );
    const r = this.n;
    this.ts[r] = ts;
    for (let j = 0; j < this.ns; j++) this.sym[r * this.ns + j] = symbols[j] ?? null;
    for (let j = 0; j < this.nd; j++) this.dbl[r * this.nd + j] = doubles[j] ?? NaN;
    for (let j = 0; j < this.ni; j++) this.int[r * this.ni + j] = ints?.[j] ?? NaN;
    for (let j = 0; j < this.nt; j++) this.tsc[r * this.nt + j] = timestamps?.[j] ?? NaN;
    for (let j = 0; j < this.nstr; j++) this.str[r * this.nstr + j] = strings?.[j] ?? null;
    this.n = r + 1;
    this.stats.rowsAppended++;
    if (this.n === this.batchRows) await this.handOver();
  }

  private async handOver(): Promise<void> {
    const slot = this.slots[this.next] as Slot;
    this.next = (this.next + 1) % this.slots.length;
    if (slot.busy) await slot.busy;
    if (this.failure) throw this.failure;
    const n = this.n;
    const cols = { ts: this.ts, sym: this.sym, dbl: this.dbl, int: this.int, tsc: this.tsc, str: this.str };
    slot.busy = new Promise<void>((resolve) => {
      slot.worker.once('message', (m: { ok: boolean; error?: string }) => {
        if (m.ok) {
          this.stats.rowsAcknowledged += n;
          this.stats.batches++;
        } else
          this.failure ??= new PdmError(
            ErrorCodes.WRITE_FAILED,
            `Writing ${n} rows to ${this.layout.table} failed: ${m.error}`,
          );
        resolve();
      });
    });
    slot.worker.postMessage({ n, cols }, [
      cols.ts.buffer,
      cols.dbl.buffer,
      cols.int.buffer,
      cols.tsc.buffer,
    ] as ArrayBuffer[]);
    this.fresh();
  }

  async flush(): Promise<void> {
    if (this.n > 0) await this.handOver();
    await Promise.all(this.slots.map((s) => s.busy));
    if (this.failure) throw this.failure;
  }

  /** Flushes, then closes every worker's Sender and the workers. */
  async close(): Promise<void> {
    try {
      if (!this.failure) await this.flush();
    } finally {
      await Promise.all(
        this.slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.worker.once('message', (m: { retries?: number }) => {
                this.stats.retries += m.retries ?? 0;
                resolve();
              });
              s.worker.postMessage({ close: true });
            }),
        ),
      );
      await Promise.all(this.slots.map((s) => s.worker.terminate()));
    }
    if (this.failure) throw this.failure;
  }
}
