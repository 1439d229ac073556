/** Inside a ParallelWriter worker: a Writer of its own; each message is a batch to write and flush. */
import { parentPort, workerData } from 'node:worker_threads';
import type { IngestConfig, QuestDbConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { Writer } from './writer.ts';
import type { ColumnBatch, TableLayout } from './writer.ts';

const { cfg, ingest, layout, batchRows } = workerData as {
  cfg: QuestDbConfig;
  ingest: IngestConfig;
  layout: TableLayout;
  batchRows: number;
};
const writer = await Writer.open(cfg, ingest, layout, { batchRows });

parentPort?.on('message', (msg: { n: number; cols: ColumnBatch } | { close: true }) => {
  void (async () => {
    try {
      if ('close' in msg) {
        await writer.close();
        parentPort?.postMessage({
          ok: true,
          closed: true,
          acknowledged: writer.stats.rowsAcknowledged,
          retries: writer.stats.retries,
        });
        return;
      }
      await writer.appendColumns(msg.n, msg.cols);
      await writer.flush();
      parentPort?.postMessage({ ok: true, n: msg.n });
    } catch (err) {
      parentPort?.postMessage({ ok: false, error: errorMessage(err) });
    }
  })();
});
