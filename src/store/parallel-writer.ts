/**
 * The Writer's contract (append, flush, close; bounded memory, retries, nothing dropped) with the
 * encoding and the HTTP requests on worker threads, one Writer each, so the calling thread keeps
 * its time for producing rows (the simulator: a week at 1 s written in 22 s this way, 30 s with a
 * Writer on its own thread). The calling thread only copies rows into a columnar batch and
 * hands full batches to the next free worker (typed arrays transferred, not copied). At most one
 * batch per worker is in flight plus the one being filled: `append` waits for a free worker.
 * Batches from different workers may commit in any order; DEDUP keys keep that harmless.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { IngestConfig, QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { assertIdentifier } from './tables.ts';
import { RowBatch } from './writer.ts';
import type { RowWriter, TableLayout, WriterStats } from './writer.ts';

interface Slot {
  readonly worker: Worker;
  busy: Promise<void> | undefined;
  /** Settles the batch in flight; called by the worker's answer, or by its death. */
  settle: (() => void) | undefined;
  dead: boolean;
}

export class ParallelWriter implements RowWriter {
  readonly stats: WriterStats = { rowsAppended: 0, rowsAcknowledged: 0, batches: 0, retries: 0 };
  private batch: RowBatch;
  private next = 0;
  private failure: Error | undefined;

  private closing = false;

  private constructor(
    readonly layout: TableLayout,
    private readonly slots: Slot[],
    private readonly batchRows: number,
  ) {
    this.batch = new RowBatch(batchRows, layout);
    // A worker that dies (an exception, out of memory, killed) fails the ingestion with a clear
    // error at once; without this, `append` would wait forever for its answer.
    slots.forEach((slot, i) => {
      const died = (why: string) => {
        slot.dead = true;
        if (!this.closing || slot.settle !== undefined)
          this.failure ??= new PdmError(
            ErrorCodes.WRITE_FAILED,
            `Writer worker ${i + 1} of ${slots.length} for ${layout.table} died (${why}); rows it held were not acknowledged`,
          );
        slot.settle?.();
      };
      slot.worker.on('error', (err) => died(err.message));
      slot.worker.on('exit', (code) => died(`exit code ${code}`));
    });
  }

  static async open(
    cfg: QuestDbConfig,
    ingest: IngestConfig,
    layout: TableLayout,
    workers = Math.max(1, availableParallelism()),
  ): Promise<ParallelWriter> {
    assertIdentifier(layout.table, 'table name');
    const url = new URL('./parallel-writer-worker.js', import.meta.url);
    const slots: Slot[] = Array.from({ length: workers }, () => ({
      worker: new Worker(url, { workerData: { cfg, ingest, layout, batchRows: ingest.batchRows } }),
      busy: undefined,
      settle: undefined,
      dead: false,
    }));
    return new ParallelWriter(layout, slots, ingest.batchRows);
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
    const full = this.batch.put(ts, symbols, doubles, ints, timestamps, strings);
    this.stats.rowsAppended++;
    if (full) await this.handOver();
  }

  /** Same arguments as Writer.appendBlock. */
  async appendBlock(
    n: number,
    ts: Float64Array,
    symbols: readonly (string | null)[],
    doubles: Float64Array,
  ): Promise<void> {
    for (let r = 0; r < n;) {
      if (this.failure) throw this.failure;
      const took = this.batch.putBlock(ts, symbols, doubles, r, n - r);
      r += took;
      this.stats.rowsAppended += took;
      if (this.batch.n === this.batch.capacity) await this.handOver();
    }
  }

  private async handOver(): Promise<void> {
    const slot = this.slots[this.next] as Slot;
    this.next = (this.next + 1) % this.slots.length;
    if (slot.busy) await slot.busy;
    if (this.failure) throw this.failure;
    const cols = this.batch;
    const n = cols.n;
    if (slot.dead)
      throw (this.failure ??= new PdmError(
        ErrorCodes.WRITE_FAILED,
        `Writer worker for ${this.layout.table} is gone`,
      ));
    slot.busy = new Promise<void>((resolve) => {
      slot.settle = () => {
        slot.settle = undefined;
        resolve();
      };
      slot.worker.once('message', (m: { ok: boolean; error?: string }) => {
        if (m.ok) {
          this.stats.rowsAcknowledged += n;
          this.stats.batches++;
        } else
          this.failure ??= new PdmError(
            ErrorCodes.WRITE_FAILED,
            `Writing ${n} rows to ${this.layout.table} failed: ${m.error}`,
          );
        slot.settle?.();
      });
    });
    const { ts, sym, dbl, int, tsc, str } = cols;
    slot.worker.postMessage({ n, cols: { ts, sym, dbl, int, tsc, str } }, [
      ts.buffer,
      dbl.buffer,
      int.buffer,
      tsc.buffer,
    ] as ArrayBuffer[]);
    // The arrays now belong to the worker: the next rows go to a new batch.
    this.batch = new RowBatch(this.batchRows, this.layout);
  }

  async flush(): Promise<void> {
    if (this.batch.n > 0) await this.handOver();
    await Promise.all(this.slots.map((s) => s.busy));
    if (this.failure) throw this.failure;
  }

  /** Flushes, then closes every worker's Sender and the workers. */
  async close(): Promise<void> {
    try {
      if (!this.failure) await this.flush();
    } finally {
      this.closing = true;
      await Promise.all(
        this.slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.dead) return resolve();
              s.worker.once('exit', () => resolve());
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
