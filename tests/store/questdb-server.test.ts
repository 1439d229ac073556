import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { isPdmError } from '../../src/errors.ts';
import { findJava, parseJavaVersion } from '../../src/store/questdb-java.ts';
import { isAlive, startServer, serverStatus } from '../../src/store/questdb-server.ts';
import { connectStore } from '../../src/store/index.ts';
import { pdm } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { testConfig } from '../helpers/store.ts';

describe('finding Java', () => {
  it('parses version banners of old and new Javas', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaVersion('java version "1.8.0_402"')).toBe(8);
    expect(parseJavaVersion('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaVersion('nonsense')).toBeUndefined();
  });
  it('names what is missing when the configured java cannot run QuestDB', () => {
    let err: unknown;
    try {
      findJava('/bin/false');
    } catch (e) {
      err = e;
    }
    expect(isPdmError(err, 'PDM_ERR_QUESTDB_JAVA_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/needs Java 17 or newer.*\/bin\/false: does not run.*PDM_JAVA/);
  });
});

describe('the managed server', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'pdm-server-test-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('says how to get the jar when it is missing', async () => {
    const cfg = loadConfig({
      PDM_QUESTDB_JAR: '/nowhere/questdb.jar',
      PDM_QUESTDB_DATA_DIR: scratch(),
      PDM_QUESTDB_HTTP_PORT: String(await freePort()),
    });
    const err = await startServer(cfg.questdb).catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_QUESTDB_JAR_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/npm run setup/);
  });

  it('refuses to start over a port another QuestDB already answers on', async () => {
    const running = testConfig().questdb;
    const cfg = loadConfig({
      PDM_QUESTDB_DATA_DIR: scratch(),
      PDM_QUESTDB_HTTP_PORT: String(running.httpPort),
    });
    const err = await startServer(cfg.questdb).catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_QUESTDB_START_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/already answers.*PDM_QUESTDB_HTTP_URL/);
  });

  it("never uses another data directory's server that answers on its ports, and says whose it is", async () => {
    const running = testConfig().questdb;
    const dir = scratch();
    const env = {
      PDM_QUESTDB_DATA_DIR: dir,
      PDM_QUESTDB_HTTP_PORT: String(running.httpPort),
      PDM_QUESTDB_PG_PORT: String(running.pgPort),
    };
    // Before, this connected to the running server (another data directory's) and said nothing.
    const err = await connectStore(loadConfig(env)).catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_QUESTDB_START_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toContain(`not started from ${dir}`);
    expect((err as Error).message).toMatch(/pdm db stop.*PDM_QUESTDB_HTTP_URL/);
    // So does every command, `npm start`'s path included.
    const cli = await pdm(['query', 'SELECT 1', '--json'], { ...process.env, ...env });
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(`not started from ${dir}`);
    // The server's own data directory connects as before.
    const own = await connectStore(testConfig());
    expect((await own.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await own.close();
  });

  it('manages nothing when pointed at an existing server', async () => {
    const running = testConfig().questdb;
    const cfg = loadConfig({
      PDM_QUESTDB_HTTP_URL: `http://127.0.0.1:${running.httpPort}`,
      PDM_QUESTDB_PG_URL: `postgres://admin:quest@127.0.0.1:${running.pgPort}/qdb`,
    });
    expect(cfg.questdb.external).toBe(true);
    expect(await serverStatus(cfg.questdb)).toMatchObject({ managed: false, answering: true });
    const err = await startServer(cfg.questdb).catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_QUESTDB_EXTERNAL')).toBe(true);
  });

  it('pdm db start runs a server that outlives the CLI; status sees it; stop ends it with SIGTERM', async () => {
    const env = {
      ...process.env,
      PDM_QUESTDB_DATA_DIR: scratch(),
      PDM_QUESTDB_HTTP_PORT: String(await freePort()),
      PDM_QUESTDB_PG_PORT: String(await freePort()),
      PDM_QUESTDB_ILP_TCP_PORT: String(await freePort()),
      PDM_QUESTDB_HEALTH_PORT: String(await freePort()),
      PDM_QUESTDB_HEAP: '256m',
    };
    const start = await pdm(['db', 'start', '--json'], env);
    expect(start.code, start.stderr).toBe(0);
    expect(start.json).toMatchObject({ ok: true, started: true, running: true, answering: true });
    const pid = start.json.pid as number;
    // Stopped whatever fails below: a failed assertion left this server running beside what ran next.
    onTestFinished(async () => {
      await pdm(['db', 'stop', '--json'], env);
    });
    const again = await pdm(['db', 'start', '--json'], env);
    expect(again.json).toMatchObject({ ok: true, started: false, pid });
    const status = await pdm(['db', 'status', '--json'], env);
    expect(status.json).toMatchObject({ managed: true, running: true, answering: true, pid });
    // Its log has the start-up advisories and errors, not a few lines per query (INFO grew it
    // without bound). QuestDB's lines: "<time> <level letter> <thread> <message>".
    const store = await connectStore(loadConfig(env));
    for (let i = 0; i < 20; i++) await store.pool.query('SELECT 1 AS one');
    await store.close();
    const log = readFileSync(path.join(env.PDM_QUESTDB_DATA_DIR, 'questdb.log'), 'utf8');
    expect(log).toMatch(/^\S+ A server-main QuestDB /m);
    expect(log.match(/^\S+ I .*/gm) ?? []).toEqual([]);
    const stop = await pdm(['db', 'stop', '--json'], env);
    expect(stop.json).toMatchObject({ ok: true, stopped: true });
    expect(isAlive(pid)).toBe(false);
    const after = await pdm(['db', 'status', '--json'], env);
    expect(after.json).toMatchObject({ running: false, answering: false });
  }, 120_000);
});
