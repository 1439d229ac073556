import { ErrorCodes, PdmError } from '../../errors.ts';
import { connectStore, queryTable } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import { formatTable, tableRows } from '../output.ts';
import type { CommandContext } from '../main.ts';

export async function queryCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('query', args, {
    param: { type: 'string', multiple: true },
    limit: { type: 'string' },
  });
  const text = positionals[0];
  if (text === undefined || positionals.length > 1)
    throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm query "SQL" [--param V ...]');
  const limit = intOption('query', 'limit', values.limit, 1000);
  const store = await connectStore(config, { start: false });
  try {
    const table = await queryTable(store.pool, text, values.param ?? []);
    const all = tableRows(table);
    const rows = all.slice(0, limit);
    const columns = table.schema.fields.map((f) => f.name);
    const more = all.length > rows.length ? `\n(${all.length - rows.length} more rows; raise --limit)` : '';
    out.result(
      { ok: true, columns, row_count: all.length, rows },
      `${formatTable(rows, columns)}\n(${all.length} row${all.length === 1 ? '' : 's'})${more}`,
    );
  } finally {
    await store.close();
  }
}
