/**
 * A restart continues the simulated plant from a saved state instead of replaying its history:
 * that is only right if a restored machine, and a resumed run, send exactly what the machine and
 * the run they came from would have sent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksumSink, buildPlant, simulate } from '../../src/sim/index.ts';
import { newEventLog } from '../../src/sim/events.ts';
import type { EventLog } from '../../src/sim/events.ts';
import { Machine } from '../../src/sim/machine.ts';
import type { MachineState } from '../../src/sim/machine.ts';
import {
  decodePlantState,
  encodePlantState,
  readPlantState,
  writePlantState,
} from '../../src/sim/plant-state.ts';
import type { PlantState } from '../../src/sim/plant-state.ts';

const START = Date.UTC(2025, 0, 6) / 1000;
const HOUR = 3600;
const DAY = 86_400;

/** Advances to `until` in steps of `by` seconds, keeping what the machine sent. */
function run(m: Machine, until: number, by: number) {
  const sent: { ts: number[]; values: number[][]; log: EventLog } = {
    ts: [],
    values: [],
    log: newEventLog(),
  };
  while (m.time < until) {
    const log = newEventLog();
    m.advance(Math.min(until, m.time + by), log);
    for (let i = 0; i < m.out.n; i++) {
      sent.ts.push(m.out.ts[i] as number);
      sent.values.push(Array.from(m.out.row(i)));
    }
    m.out.clear();
    for (const k of Object.keys(log) as (keyof EventLog)[]) (sent.log[k] as object[]).push(...log[k]);
  }
  return sent;
}

/** The conditions a state must carry across a restart, each found at least once below. */
const CONDITIONS: Record<string, (s: MachineState) => boolean> = {
  running: (s) => s.state === 'running' && s.current !== null,
  down: (s) => s.state === 'down',
  pm: (s) => s.state === 'pm',
  'late readings held back': (s) => s.late.length > 0,
  'a sensor in a dropout': (s) => s.dropoutUntil.some((u) => u > s.t),
  'a cached normal': (s) => s.noise[4] === s.noise[4],
};

describe('a machine restored from its state', () => {
  for (const seed of [3, 8]) {
    it(`sends what the machine it came from sends (seed ${seed})`, () => {
      const specs = buildPlant({ equipment: 8, seed, sampleSeconds: 10 });
      const found = new Map<string, number>();
      for (const spec of specs) {
        for (const [name, holds] of Object.entries(CONDITIONS)) {
          if ((found.get(name) ?? 0) >= 2) continue; // each condition on two machines
          const a = new Machine(spec, seed, START);
          // The first minute (up to 40 days) where the condition holds.
          let state: MachineState | undefined;
          while (a.time < START + 40 * DAY) {
            run(a, a.time + 60, 60);
            const s = a.snapshot();
            if (holds(s)) {
              state = s;
              break;
            }
          }
          if (state === undefined) continue;
          found.set(name, (found.get(name) ?? 0) + 1);
          const b = new Machine(spec, seed, START);
          b.restore(decodePlantState(encodePlantState(plantOf(seed, [state]))).machines[0]!);
          expect(b.snapshot()).toEqual(state);
          // The next day and a half, in steps of different lengths on each side.
          const until = a.time + 36 * HOUR;
          const fromA = run(a, until, 3600);
          const fromB = run(b, until, 7);
          expect(fromB.ts).toEqual(fromA.ts);
          expect(fromB.values).toEqual(fromA.values);
          expect(fromB.log).toEqual(fromA.log);
          expect(b.snapshot()).toEqual(a.snapshot());
          expect(fromA.ts.length).toBeGreaterThan(0);
        }
      }
      expect([...found.keys()].sort()).toEqual(Object.keys(CONDITIONS).sort());
    });
  }

  it('refuses a state that is not its own, changing nothing', () => {
    const [p, q] = buildPlant({ equipment: 2, seed: 5, sampleSeconds: 10 });
    const a = new Machine(p!, 5, START);
    run(a, START + DAY, 3600);
    const s = a.snapshot();
    const b = new Machine(p!, 5, START);
    const before = b.snapshot();
    expect(() => new Machine(q!, 5, START).restore(s)).toThrow(/a state of machine/);
    expect(() => b.restore({ ...s, wear: [1] })).toThrow(/wear is not a list of 4 values/);
    expect(() => b.restore({ ...s, queue: [{ ...s.queue[0]!, recipe: 99 }] })).toThrow(/no recipe 99/);
    expect(() => b.restore({ ...s, rng: [1, 2, 3] as unknown as MachineState['rng'] })).toThrow(
      /rng is not a number/,
    );
    expect(() => b.restore({ ...s, nextPm: '1' as unknown as number })).toThrow(/nextPm is not a number/);
    expect(b.snapshot()).toEqual(before);
  });
});

function plantOf(seed: number, machines: MachineState[], at = START): PlantState {
  return { version: 1, seed, start: START, at, sampleSeconds: 10, machines };
}

describe('a run resumed from a saved state', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-plant-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plant = { equipment: 5, seed: 11, sampleSeconds: 10, start: START };

  /** The states a first run saved at every hour of its 3 days. */
  const saved = async () => {
    const states: PlantState[] = [];
    await simulate(new ChecksumSink(), { ...plant, days: 3, onState: (s) => states.push(s) });
    return states;
  };
  /** A restart: the stored history ends in `replayUntil`'s hour, the wall clock 2.5 h later. */
  const restart = async (resume?: PlantState) => {
    const sink = new ChecksumSink();
    const replayUntil = START + 50 * HOUR;
    const ctl = new AbortController();
    const resumed: ({ at: number } | { reason: string })[] = [];
    const summary = await simulate(sink, {
      ...plant,
      days: 0,
      replayUntil,
      live: true,
      now: () => (replayUntil + 2.5 * HOUR) * 1000,
      signal: ctl.signal,
      onLive: () => ctl.abort(),
      ...(resume === undefined ? {} : { resume, onResume: (r) => resumed.push(r) }),
    });
    return { digest: sink.digest(), summary, resumed };
  };

  it('saves a state at every hour of the run, each as the machines were then', async () => {
    const states = await saved();
    expect(states.map((s) => s.at)).toEqual(Array.from({ length: 72 }, (_, i) => START + (i + 1) * HOUR));
    for (const s of states) for (const m of s.machines) expect(m.t).toBe(s.at);
  });

  it('sends exactly what the full replay sends, from any hour up to the stored history', async () => {
    const states = await saved();
    const replayed = await restart();
    for (const hour of [1, 17, 49, 50]) {
      const state = decodePlantState(encodePlantState(states[hour - 1]!));
      const resumed = await restart(state);
      expect(resumed.resumed).toEqual([{ at: START + hour * HOUR }]);
      expect(resumed.digest).toBe(replayed.digest);
      expect({ ...resumed.summary, duration_s: 0, readings_per_s: 0 }).toEqual({
        ...replayed.summary,
        duration_s: 0,
        readings_per_s: 0,
      });
    }
  });

  it("falls back to the full replay, saying why, when the state is not the run's", async () => {
    const states = await saved();
    const replayed = await restart();
    const s = states[20]!;
    const cases: [PlantState, RegExp][] = [
      [states[55]!, /after the stored history's last hour/],
      [{ ...s, seed: 12 }, /of seed 12, not 11/],
      [{ ...s, start: START - HOUR }, /started at/],
      [{ ...s, machines: s.machines.slice(1) }, /machines are not this plant's/],
      [{ ...s, sampleSeconds: 1 }, /samples every 1 s, not 10 s/],
      [{ ...s, at: s.at + 1 }, /not at an hour of the run/],
      [
        { ...s, machines: s.machines.map((m, i) => (i === 3 ? { ...m, dropoutUntil: [] } : m)) },
        /does not restore/,
      ],
    ];
    for (const [state, why] of cases) {
      const r = await restart(state);
      expect(r.resumed).toHaveLength(1);
      expect('reason' in r.resumed[0]! ? r.resumed[0].reason : '').toMatch(why);
      expect(r.digest).toBe(replayed.digest);
    }
  });

  it('is kept in a file written whole, and a file that is not a state is refused', () => {
    const file = path.join(dir, 'plant-state.json');
    expect(readPlantState(file)).toBeUndefined();
    const s = plantOf(1, [], START + HOUR);
    writePlantState(file, {
      ...s,
      machines: [{ late: [{ due: 1, ts: 2, row: [NaN, 1] }] } as unknown as MachineState],
    });
    expect(readPlantState(file)).toEqual({
      state: { ...s, machines: [{ late: [{ due: 1, ts: 2, row: [NaN, 1] }] }] },
    });
    expect(readFileSync(file, 'utf8')).toContain('"NaN"');
    for (const [text, why] of [
      ['{"version":1', /JSON/],
      ['[]', /version undefined/],
      ['{"version":2}', /version 2, not 1/],
      ['{"version":1,"seed":1,"start":1,"at":"x","sampleSeconds":1,"machines":[]}', /at is not a number/],
      ['{"version":1,"seed":1,"start":1,"at":1,"sampleSeconds":1,"machines":{}}', /machines is not a list/],
    ] as const) {
      writeFileSync(file, text);
      const r = readPlantState(file);
      expect(r !== undefined && 'reason' in r ? r.reason : '').toMatch(why);
    }
  });
});
