/**
 * The managed QuestDB: a child JVM bound to 127.0.0.1, telemetry off, sized for a small machine.
 * Attached (npm start, tests: it dies with us) or detached (`pdm db start`: it outlives the CLI,
 * found again through a pid file in its data directory).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QUESTDB_VERSION } from '../config.ts';
import type { QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { findJava } from './questdb-java.ts';

const PID_FILE = 'pdm-questdb.pid';
const LOG_FILE = 'questdb.log';

export interface PidFile {
  readonly pid: number;
  readonly version: string;
  readonly httpPort: number;
  readonly pgPort: number;
  readonly startedAt: string;
}

export interface ServerStatus {
  readonly managed: boolean;
  readonly running: boolean;
  readonly answering: boolean;
  readonly pid: number | undefined;
  readonly version: string;
  readonly httpUrl: string;
  readonly pgPort: number;
  readonly dataDir: string | undefined;
}

export interface StartOptions {
  /** Keep running after this process exits (`pdm db start`). */
  readonly detached?: boolean;
  readonly readyTimeoutMs?: number;
  readonly onLog?: (line: string) => void;
}

export interface ManagedServer {
  readonly pid: number;
  readonly httpUrl: string;
  /** false when a server started earlier (e.g. by `pdm db start`) was found and reused. */
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

export function httpUrlOf(cfg: QuestDbConfig): string {
  return `http://${cfg.host}:${cfg.httpPort}`;
}

/** True if GET /ping answers 204 within the timeout. */
export async function ping(cfg: QuestDbConfig, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${httpUrlOf(cfg)}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 204;
  } catch {
    return false;
  }
}

/** Server settings as QDB_* environment variables (the server validates keys strictly). */
export function serverEnv(cfg: QuestDbConfig): Record<string, string> {
  const bind = (port: number) => `127.0.0.1:${port}`;
  return {
    QDB_HTTP_NET_BIND_TO: bind(cfg.httpPort),
    QDB_PG_NET_BIND_TO: bind(cfg.pgPort),
    QDB_LINE_TCP_NET_BIND_TO: bind(cfg.ilpTcpPort),
    QDB_HTTP_MIN_NET_BIND_TO: bind(cfg.healthPort),
    QDB_TELEMETRY_ENABLED: 'false',
    QDB_TELEMETRY_DISABLE_COMPLETELY: 'true',
    // Two cores shared with the engine: one worker per pool instead of max(2, CPUs).
    QDB_SHARED_NETWORK_WORKER_COUNT: '1',
    QDB_SHARED_QUERY_WORKER_COUNT: '1',
    QDB_SHARED_WRITE_WORKER_COUNT: '1',
    QDB_WAL_APPLY_WORKER_COUNT: '1',
    QDB_HTTP_MIN_WORKER_COUNT: '1',
    // History is read through /exp (store/export.ts), and QuestDB allows 2 exports at a time by
    // default: a retrain, a health view and a backtest reading at once got HTTP 429 and fell back
    // to the slower PG wire.
    QDB_HTTP_EXPORT_CONNECTION_LIMIT: '8',
    // An idle worker (network, query, write pools) spins by default: Thread.yield up to 7,000 idle
    // cycles, short naps up to 10,000, and only then sleeps 10 ms at a time. Every query therefore
    // cost a few hundred ms of spinning after it: a query every 100 ms kept 0.68 of a core busy
    // in QuestDB, every 20 ms 1.58 cores, on the two cores the engine shares with it. Napping
    // after 100 idle cycles and sleeping after 200, 2 ms at a time: 0.21 and 0.64 of a core, the
    // median query 0.1-0.5 ms slower (docs/performance.md, "QuestDB's idle workers").
    QDB_SHARED_WORKER_NAP_THRESHOLD: '100',
    QDB_SHARED_WORKER_SLEEP_THRESHOLD: '200',
    QDB_SHARED_WORKER_SLEEP_TIMEOUT: '2',
    // INFO logged a few lines for every query and commit: the logging thread took ~0.1 of a core
    // under live scoring, and questdb.log grew without bound.
    QDB_LOG_W_STDOUT_LEVEL: cfg.logLevel,
  };
}

function javaArgs(cfg: QuestDbConfig, tmpDir: string): string[] {
  return [
    `-Xmx${cfg.heap}`,
    // Native libraries are unpacked here; a noexec /tmp would break start-up.
    `-Djava.io.tmpdir=${tmpDir}`,
    '-ea',
    '-Dnoebug',
    '-XX:+UnlockExperimentalVMOptions',
    '-XX:+UseParallelGC',
    '--add-exports',
    'java.base/jdk.internal.math=io.questdb',
    '-p',
    cfg.jar,
    '-m',
    'io.questdb/io.questdb.ServerMain',
    '-d',
    cfg.dataDir,
  ];
}

export function readPidFile(dataDir: string): PidFile | undefined {
  const file = path.join(dataDir, PID_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

/** True if the pid runs QuestDB (a stale pid file may name a pid the OS has since reused). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('io.questdb');
  } catch {
    return true; // no /proc here: trust the signal check
  }
}

async function tail(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function serverStatus(cfg: QuestDbConfig): Promise<ServerStatus> {
  const answering = await ping(cfg);
  const base = { version: QUESTDB_VERSION, httpUrl: httpUrlOf(cfg), pgPort: cfg.pgPort };
  if (cfg.external) {
    return { ...base, managed: false, running: answering, answering, pid: undefined, dataDir: undefined };
  }
  const pidFile = readPidFile(cfg.dataDir);
  const running = pidFile !== undefined && isAlive(pidFile.pid);
  return {
    ...base,
    managed: true,
    running,
    answering,
    pid: running ? pidFile?.pid : undefined,
    dataDir: cfg.dataDir,
  };
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopPid(pid: number, timeoutMs = 30_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
}

/**
 * Whether the server answering the configured ports is this data directory's: its pid file names a
 * running QuestDB started on the same ports. Another data directory's server on the same ports would
 * otherwise be used silently (a user running `npm start` with PDM_QUESTDB_DATA_DIR set while another
 * checkout's QuestDB ran got that checkout's data, with only "schema: up to date" printed).
 */
export function ownsPorts(cfg: QuestDbConfig): boolean {
  const pidFile = readPidFile(cfg.dataDir);
  return pidFile !== undefined && isAlive(pidFile.pid) && samePorts(pidFile, cfg);
}

function samePorts(pidFile: PidFile, cfg: QuestDbConfig): boolean {
  return pidFile.httpPort === cfg.httpPort && pidFile.pgPort === cfg.pgPort;
}

/** The refusal when the configured ports answer for another data directory's server. */
export function notOursError(cfg: QuestDbConfig): PdmError {
  return new PdmError(
    ErrorCodes.QUESTDB_START_FAILED,
    `Something already answers ${httpUrlOf(cfg)}/ping but was not started from ${cfg.dataDir} ` +
      "(another data directory's QuestDB, or one started by hand). Stop it (`PDM_QUESTDB_DATA_DIR=<its dir> npx pdm db stop`), " +
      'use it as an external server with PDM_QUESTDB_HTTP_URL and PDM_QUESTDB_PG_URL, or choose other PDM_QUESTDB_*_PORT values.',
  );
}

/**
 * Starts the managed QuestDB and resolves once /ping answers. Reuses a server this data directory
 * already runs. Refuses when the configuration points at an external server.
 */
export async function startServer(cfg: QuestDbConfig, options: StartOptions = {}): Promise<ManagedServer> {
  const httpUrl = httpUrlOf(cfg);
  if (cfg.external) {
    throw new PdmError(
      ErrorCodes.QUESTDB_EXTERNAL,
      `QuestDB is configured as external (${httpUrl}); the engine does not start or stop it`,
    );
  }
  const existing = readPidFile(cfg.dataDir);
  const running = existing !== undefined && isAlive(existing.pid);
  if (running && samePorts(existing, cfg) && (await ping(cfg))) {
    return {
      pid: existing.pid,
      httpUrl,
      startedHere: false,
      stop: async () => void (await stopServerByPid(cfg)),
    };
  }
  if (running && !samePorts(existing, cfg))
    throw new PdmError(
      ErrorCodes.QUESTDB_START_FAILED,
      `${cfg.dataDir}'s QuestDB already runs (pid ${existing.pid}) on HTTP port ${existing.httpPort} and PG port ` +
        `${existing.pgPort}, not the configured ${cfg.httpPort} and ${cfg.pgPort}: a second server on the same data ` +
        'directory would corrupt it. Stop it (`npx pdm db stop`) or configure its ports.',
    );
  if (await ping(cfg)) throw notOursError(cfg);
  if (!existsSync(cfg.jar)) {
    throw new PdmError(
      ErrorCodes.QUESTDB_JAR_MISSING,
      `QuestDB jar not found at ${cfg.jar}. Run \`npm run setup\` (fetches org.questdb:questdb:${QUESTDB_VERSION} ` +
        'from Maven Central) or set PDM_QUESTDB_JAR.',
    );
  }
  const java = findJava(cfg.java);
  const tmpDir = path.join(cfg.dataDir, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  const logPath = path.join(cfg.dataDir, LOG_FILE);
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(java.bin, javaArgs(cfg, tmpDir), {
      env: { ...process.env, ...serverEnv(cfg) },
      stdio: ['ignore', logFd, logFd],
      detached: options.detached === true,
    });
  } finally {
    closeSync(logFd);
  }
  let exitCode: number | null | undefined;
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : null);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  if (pid === undefined) {
    throw new PdmError(
      ErrorCodes.QUESTDB_START_FAILED,
      `Could not spawn ${java.bin}: ${String(await spawnError)}`,
    );
  }
  const pidFile: PidFile = {
    pid,
    version: QUESTDB_VERSION,
    httpPort: cfg.httpPort,
    pgPort: cfg.pgPort,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(path.join(cfg.dataDir, PID_FILE), JSON.stringify(pidFile) + '\n');

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  while (!(await ping(cfg, 500))) {
    if (exitCode !== undefined) {
      rmSync(path.join(cfg.dataDir, PID_FILE), { force: true });
      throw new PdmError(
        ErrorCodes.QUESTDB_START_FAILED,
        `QuestDB exited during start-up (exit ${exitCode}${exitCode === 55 ? ': start-up failed' : ''}). ` +
          `Last lines of ${logPath}:\n${await tail(logPath)}`,
      );
    }
    if (Date.now() > deadline) {
      await stopPid(pid, 5000);
      rmSync(path.join(cfg.dataDir, PID_FILE), { force: true });
      throw new PdmError(
        ErrorCodes.QUESTDB_START_FAILED,
        `QuestDB did not answer ${httpUrl}/ping in time. Last lines of ${logPath}:\n${await tail(logPath)}`,
      );
    }
    await sleep(200);
  }
  if (options.detached === true) child.unref();
  options.onLog?.(
    `QuestDB ${QUESTDB_VERSION} (Java ${java.major}) ready at ${httpUrl}, pid ${pid}, data ${cfg.dataDir}`,
  );
  return {
    pid,
    httpUrl,
    startedHere: true,
    stop: async () => {
      await stopPid(pid);
      rmSync(path.join(cfg.dataDir, PID_FILE), { force: true });
    },
  };
}

/** Stops the managed server recorded in the data directory; false if none was running. */
export async function stopServerByPid(cfg: QuestDbConfig): Promise<boolean> {
  if (cfg.external) {
    throw new PdmError(
      ErrorCodes.QUESTDB_EXTERNAL,
      `QuestDB is external (${httpUrlOf(cfg)}); the engine does not stop it`,
    );
  }
  const pidFile = readPidFile(cfg.dataDir);
  if (!pidFile) return false;
  const wasAlive = isAlive(pidFile.pid);
  await stopPid(pidFile.pid);
  rmSync(path.join(cfg.dataDir, PID_FILE), { force: true });
  return wasAlive;
}
