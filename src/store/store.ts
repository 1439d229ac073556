/**
 * A store handle: the server (started here when managed, otherwise the configured one), a pg pool,
 * the schema's table names, migrations applied. What `npm start`, the CLI and tests open first.
 */
import type pg from 'pg';
import type { Config } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { migrate } from './migrate.ts';
import type { MigrationResult } from './migrate.ts';
import { createPool } from './pg.ts';
import { httpUrlOf, notOursError, ownsPorts, ping, startServer } from './questdb-server.ts';
import type { ManagedServer } from './questdb-server.ts';
import { makeTables } from './tables.ts';
import type { Tables } from './tables.ts';

export interface Store {
  readonly config: Config;
  readonly pool: pg.Pool;
  readonly tables: Tables;
  readonly migrations: MigrationResult;
  /** The server this handle started (attached), if any. */
  readonly server: ManagedServer | undefined;
  /** Closes the pool; stops the server only if this handle started it. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Start the managed server if it is not running (default true for the managed configuration). */
  readonly start?: boolean;
  /** Overrides the configured PDM_TABLE_PREFIX. */
  readonly tablePrefix?: string;
  readonly onLog?: (line: string) => void;
}

export async function connectStore(config: Config, options: ConnectOptions = {}): Promise<Store> {
  const cfg = config.questdb;
  let server: ManagedServer | undefined;
  // A busy server (WAL apply, GC, a loaded machine) can miss a 1 s ping: ask once more, longer, before
  // calling it down (a server that is not there refuses at once, so this costs nothing then).
  if (!(await ping(cfg)) && !(await ping(cfg, 5000))) {
    if (cfg.external) {
      throw new PdmError(
        ErrorCodes.QUESTDB_UNREACHABLE,
        `The configured QuestDB at ${httpUrlOf(cfg)} does not answer /ping`,
      );
    }
    if (options.start === false) {
      throw new PdmError(
        ErrorCodes.QUESTDB_UNREACHABLE,
        `QuestDB is not running at ${httpUrlOf(cfg)}: run \`pdm db start\``,
      );
    }
    server = await startServer(cfg, { onLog: options.onLog });
  } else if (!cfg.external && !ownsPorts(cfg)) {
    // A managed configuration never uses another data directory's server.
    throw notOursError(cfg);
  }
  const pool = createPool(cfg);
  const tables = makeTables(options.tablePrefix ?? config.tablePrefix);
  let migrations: MigrationResult;
  try {
    migrations = await migrate(pool, tables);
  } catch (err) {
    await pool.end();
    await server?.stop();
    throw err;
  }
  return {
    config,
    pool,
    tables,
    migrations,
    server,
    close: async () => {
      await pool.end();
      if (server?.startedHere) await server.stop();
    },
  };
}
