/**
 * The retrain job's process (retrain-runner.ts), without a database: runs that follow each other
 * share one process, every thread of it below the API (in Linux's idle scheduling class where
 * util-linux's chrt is, else at nice 10); a run's error comes back as the job's; a
 * process that dies mid-run fails that run and the next run starts another; idle, it ends; and
 * stopping it ends it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { childExecArgv, RetrainProcess } from '../../src/jobs/retrain-runner.ts';
import type { RetrainChildData } from '../../src/jobs/retrain-child-main.ts';
import { freePort } from '../helpers/ports.ts';
import { simPlant } from '../helpers/plant.ts';

const MAIN_PRIORITY = os.getPriority(0);
const SCHED_IDLE = 5;
const CHRT =
  process.platform === 'linux' ? ['/usr/bin/chrt', '/bin/chrt'].find((f) => existsSync(f)) : undefined;

/** A run against a QuestDB that is not there (ports nobody listens on). */
async function unreachable(): Promise<RetrainChildData> {
  const env = {
    PDM_QUESTDB_HTTP_PORT: String(await freePort()),
    PDM_QUESTDB_PG_PORT: String(await freePort()),
    PDM_QUESTDB_ILP_TCP_PORT: String(await freePort()),
    PDM_QUESTDB_HEALTH_PORT: String(await freePort()),
  };
  const { plant, scope } = simPlant(2);
  return {
    config: loadConfig(env),
    tablePrefix: '',
    registryDir: path.join(os.tmpdir(), 'pdm-retrain-runner-none'),
    plant,
    scopes: [scope.name],
    range: { from: 0, to: 86_400e6 },
    metric: 'brier',
    trees: 5,
  };
}

/**
 * A "QuestDB" that accepts connections and never answers, for a run that waits on it: its data,
 * a promise of its first connection (the run under way), and close().
 */
async function silentQuestDb() {
  const server = net.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = String((server.address() as net.AddressInfo).port);
  return {
    data: {
      ...(await unreachable()),
      config: loadConfig({ PDM_QUESTDB_HTTP_PORT: port, PDM_QUESTDB_PG_PORT: port }),
    },
    connected: new Promise<void>((r) => server.once('connection', () => r())),
    close: () => server.close(),
  };
}

/** The nice value and scheduling policy (5: SCHED_IDLE) of every thread of a process. */
function threads(pid: number): { nice: number; policy: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { nice: Number(f[16]), policy: Number(f[38]) };
  });
}
const threadNices = (pid: number) => threads(pid).map((t) => t.nice);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the retrain process', () => {
  let p: RetrainProcess | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it('starts once, stays between runs, and a run fails with the error the retrain met', async () => {
    p = new RetrainProcess();
    p.start();
    const pid = p.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    const data = await unreachable();
    await expect(p.retrain(data)).rejects.toThrow(/QuestDB is not running at http:\/\/127\.0\.0\.1:\d+/);
    await expect(p.retrain(data)).rejects.toThrow(/QuestDB is not running at http:\/\/127\.0\.0\.1:\d+/);
    // The same process answered both: started once (starting one beside a large API held its
    // thread while the parent's page tables were copied).
    expect(p.pid).toBe(pid);
    expect(alive(pid)).toBe(true);
    expect(os.getPriority(0)).toBe(MAIN_PRIORITY);
  });

  it.runIf(process.platform === 'linux')(
    'lowers every one of its threads, not only its main thread, and not this process',
    async () => {
      p = new RetrainProcess({ chrt: null });
      // Once it has answered, its entry has run (and its threads exist).
      await expect(p.retrain(await unreachable())).rejects.toThrow(/QuestDB is not running/);
      const nices = threadNices(p.pid!);
      // V8's platform threads and libuv's pool start before any JavaScript: lowering the main
      // thread alone (setPriority(0, n)) left them at the API's priority.
      expect(nices.length).toBeGreaterThan(3);
      expect(Math.min(...nices)).toBe(Math.max(10, MAIN_PRIORITY));
      expect(Math.min(...threadNices(process.pid))).toBe(MAIN_PRIORITY);
    },
  );

  it.runIf(CHRT !== undefined)(
    "starts in the idle scheduling class, every thread of it, where util-linux's chrt is",
    async () => {
      p = new RetrainProcess();
      await expect(p.retrain(await unreachable())).rejects.toThrow(/QuestDB is not running/);
      const ts = threads(p.pid!);
      expect(ts.length).toBeGreaterThan(3);
      expect(ts.filter((t) => t.policy !== SCHED_IDLE)).toEqual([]);
      expect(threads(process.pid).filter((t) => t.policy === SCHED_IDLE)).toEqual([]);
    },
  );

  it.runIf(process.platform === 'linux')(
    'where chrt fails, starts again without it (at nice 10), and the run is answered',
    async () => {
      p = new RetrainProcess({ chrt: '/bin/false' });
      await expect(p.retrain(await unreachable())).rejects.toThrow(/QuestDB is not running/);
      const ts = threads(p.pid!);
      expect(ts.filter((t) => t.policy === SCHED_IDLE)).toEqual([]);
      expect(Math.min(...ts.map((t) => t.nice))).toBe(Math.max(10, MAIN_PRIORITY));
    },
  );

  it('a process that dies mid-run fails that run with a message; the next run starts another', async () => {
    const silent = await silentQuestDb();
    try {
      p = new RetrainProcess();
      const run = p.retrain(silent.data);
      await silent.connected;
      const first = p.pid!;
      process.kill(first, 'SIGKILL');
      await expect(run).rejects.toThrow('the retrain process stopped (SIGKILL) before it answered');
      await expect(p.retrain(await unreachable())).rejects.toThrow(/QuestDB is not running/);
      expect(p.pid).not.toBe(first);
    } finally {
      silent.close();
    }
  });

  it('ends once idle for its idle time (what a retrain left resident goes with it); a run then starts another', async () => {
    p = new RetrainProcess({ idleMs: 300 });
    const data = await unreachable();
    await expect(p.retrain(data)).rejects.toThrow(/QuestDB is not running/);
    const first = p.pid!;
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.pid).toBeUndefined();
    expect(alive(first)).toBe(false);
    await expect(p.retrain(data)).rejects.toThrow(/QuestDB is not running/);
    expect(p.pid).toBeGreaterThan(0);
    expect(p.pid).not.toBe(first);
  });

  it('stopping it mid-run fails the run with a message that says so', async () => {
    const silent = await silentQuestDb();
    try {
      p = new RetrainProcess();
      const run = p.retrain(silent.data);
      await silent.connected;
      const pid = p.pid!;
      await p.stop();
      await expect(run).rejects.toThrow('the retrain was stopped before it ended: the engine is stopping');
      expect(alive(pid)).toBe(false);
    } finally {
      silent.close();
    }
  });

  it('stopping it ends the process, and a run after that is refused', async () => {
    p = new RetrainProcess();
    p.start();
    const pid = p.pid!;
    await p.stop();
    expect(alive(pid)).toBe(false);
    await expect(p.retrain(await unreachable())).rejects.toThrow('the retrain process was stopped');
  });

  it("is given the parent's Node options, less the inspector's (it would take the parent's port)", () => {
    expect(
      childExecArgv([
        '--inspect=9229',
        '--import',
        'tsx',
        '--inspect-brk',
        '--inspect-port',
        '9230',
        '--max-old-space-size=4096',
        '--inspect-port=9231',
        '--enable-source-maps',
      ]),
    ).toEqual(['--import', 'tsx', '--max-old-space-size=4096', '--enable-source-maps']);
  });
});
