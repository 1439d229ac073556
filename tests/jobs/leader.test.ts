import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

/** The machine's PostgreSQL (trust auth); PDM_TEST_POSTGRES_URL points elsewhere. */
const URL = process.env.PDM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHILD = path.resolve(import.meta.dirname, 'leader-child.ts');

interface Line {
  pid: number;
  run?: string;
  leading?: boolean;
  ready?: boolean;
}

function start(name: string, lines: Line[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, name], {
    env: { ...process.env, PDM_POSTGRES_URL: URL },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line);
      buf = buf.slice(i + 1);
    }
  });
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('leader election through a PostgreSQL advisory lock (two real processes)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('runs each job slot in one process only, and the follower takes over when the leader dies', async () => {
    const client = new pg.Client({ connectionString: URL });
    await client.connect().catch((err: Error) => {
      throw new Error(`PostgreSQL is not reachable at ${URL} (set PDM_TEST_POSTGRES_URL): ${err.message}`);
    });
    await client.end();
    const name = `pdm-test-leader-${process.pid}-${Date.now()}`;
    const lines: Line[] = [];
    const a = start(name, lines);
    children.push(a);
    await until('the first process to lead', () => lines.some((l) => l.pid === a.pid && l.leading === true));
    const b = start(name, lines);
    children.push(b);
    await until('the second process to start', () => lines.some((l) => l.pid === b.pid && l.ready === true));
    await sleep(3500);
    const runsA = lines.filter((l) => l.run !== undefined && l.pid === a.pid).length;
    expect(runsA).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => l.run !== undefined && l.pid === b.pid)).toEqual([]);
    expect(lines.some((l) => l.pid === b.pid && l.leading === true)).toBe(false);

    a.kill('SIGKILL'); // no clean-up: the lock goes with the dead process's connection
    await until('the second process to take over', () =>
      lines.some((l) => l.pid === b.pid && l.leading === true),
    );
    await until('the new leader to run the job', () =>
      lines.some((l) => l.pid === b.pid && l.run !== undefined),
    );
    // No slot ran twice.
    const slots = lines.filter((l) => l.run !== undefined).map((l) => l.run);
    expect(new Set(slots).size).toBe(slots.length);
    b.kill('SIGTERM');
  }, 60_000);
});
