/**
 * Query results as Arrow: a cursor reads the result in chunks, each chunk becomes one RecordBatch
 * with typed columns (Float64 readings, TimestampMicrosecond, Int32/Int64, dictionary-encoded
 * strings). Memory stays bounded by the chunk size however large the result.
 */
import { RecordBatch, Schema, Field, Table, makeData, Struct } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { ErrorCodes, PdmError } from '../errors.ts';
import { columnFor } from './arrow-columns.ts';
import type { ColumnAccumulator } from './arrow-columns.ts';
import { queryHead } from './pg.ts';

export interface QueryOptions {
  /** Rows per record batch (and per cursor read). */
  readonly batchRows?: number;
  /** Called after each record batch with the rows read so far (progress on long reads). */
  readonly onRows?: (rows: number) => void;
}

function readChunk(cursor: Cursor, n: number): Promise<{ rows: unknown[][]; fields: pg.FieldDef[] }> {
  return new Promise((resolve, reject) => {
    cursor.read(n, (err, rows, result) => {
      if (err) reject(err);
      else
        resolve({
          rows: rows as unknown as unknown[][],
          fields: (result as pg.QueryResult | undefined)?.fields ?? [],
        });
    });
  });
}

function toBatch(schema: Schema, columns: readonly ColumnAccumulator[], length: number): RecordBatch {
  const children = columns.map((c) => c.finish());
  const structData = makeData({
    type: new Struct(schema.fields),
    length,
    nullCount: 0,
    children: children as Data<DataType>[],
  });
  return new RecordBatch(schema, structData);
}

/** Streams a query's result as Arrow record batches. `values` are bind parameters ($1, $2, ...). */
export async function* queryBatches(
  pool: pg.Pool,
  text: string,
  values: readonly unknown[] = [],
  options: QueryOptions = {},
): AsyncGenerator<RecordBatch> {
  const batchRows = options.batchRows ?? 65_536;
  const client = await pool.connect();
  // A failed cursor leaves QuestDB answering messages pg no longer expects ("portal does not
  // exist"); they arrive as client 'error' events, which must not crash the process.
  const ignore = () => {};
  client.on('error', ignore);
  const cursor = client.query(new Cursor(text, values as unknown[], { rowMode: 'array' }));
  // Errors also reach the read callback; without a listener pg-cursor would rethrow them.
  cursor.on('error', () => {});
  let failed: Error | undefined;
  let schema: Schema | undefined;
  let columns: ColumnAccumulator[] = [];
  let first = true;
  let read = 0;
  try {
    for (;;) {
      let chunk: { rows: unknown[][]; fields: pg.FieldDef[] };
      try {
        chunk = await readChunk(cursor, batchRows);
      } catch (err) {
        failed = err as Error;
        const head = queryHead(text);
        throw new PdmError(ErrorCodes.QUERY_FAILED, `Query failed (${head}): ${failed.message}`, {
          cause: err,
        });
      }
      if (schema === undefined && chunk.fields.length > 0) {
        columns = chunk.fields.map((f) => columnFor(f.dataTypeID, batchRows));
        const probe = columns.map((c) => c.finish());
        schema = new Schema(chunk.fields.map((f, i) => new Field(f.name, probe[i]!.type, true)));
      }
      if (schema === undefined) break;
      if (chunk.rows.length === 0) {
        if (first) yield toBatch(schema, columns, 0); // keep the schema of an empty result
        break;
      }
      first = false;
      for (const row of chunk.rows) {
        for (let j = 0; j < columns.length; j++) columns[j]!.push(row[j] ?? null);
      }
      read += chunk.rows.length;
      options.onRows?.(read);
      yield toBatch(schema, columns, chunk.rows.length);
      if (chunk.rows.length < batchRows) break;
    }
  } finally {
    if (failed === undefined) {
      await new Promise<void>((resolve) => cursor.close(() => resolve()));
      client.off('error', ignore);
      client.release();
    } else {
      // After an error the portal is gone and close() may never call back: drop the connection.
      client.release(failed);
    }
  }
}

/** The whole result as one Arrow Table (one record batch per chunk, no copies between them). */
export async function queryTable(
  pool: pg.Pool,
  text: string,
  values: readonly unknown[] = [],
  options: QueryOptions = {},
): Promise<Table> {
  const batches: RecordBatch[] = [];
  for await (const batch of queryBatches(pool, text, values, options)) batches.push(batch);
  return new Table(batches);
}
