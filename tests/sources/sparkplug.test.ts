import { describe, expect, it } from 'vitest';
import {
  decodeJson,
  encodePayload,
  filterOf,
  matchTopic,
  parseTopic,
  SparkplugState,
} from '../../src/sources/index.ts';

const G = 'plant1';
const T0 = Date.UTC(2025, 5, 1, 8);
const birth = (seq: number) =>
  encodePayload({
    timestamp: T0,
    seq,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: 0 },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
    ],
  });
const dbirth = (seq: number) =>
  encodePayload({
    timestamp: T0,
    seq,
    metrics: [
      { name: 'force', alias: 1, type: 'Double', value: 10 },
      { name: 'Motor/Temp', alias: 2, type: 'Float', value: 40 },
    ],
  });
const ddata = (seq: number, t: number, metrics: { alias: number; value: unknown; type?: string }[]) =>
  encodePayload({
    timestamp: t,
    seq,
    metrics: metrics.map((m) => ({
      alias: m.alias,
      type: (m.type ?? 'Double') as 'Double',
      value: m.value as number,
    })),
  });

describe('Sparkplug B, read as the plant file maps it', () => {
  it('parses topics and refuses what is not one', () => {
    expect(parseTopic('spBv1.0/plant1/DDATA/edge1/press-1')).toEqual({
      group: 'plant1',
      type: 'DDATA',
      node: 'edge1',
      device: 'press-1',
    });
    expect(parseTopic('spBv1.0/plant1/NBIRTH/edge1')?.device).toBeNull();
    for (const bad of ['spBv1.0/plant1/XDATA/e', 'spAv1.0/g/NDATA/e', 'spBv1.0/g/NDATA', 'spBv1.0//NDATA/e'])
      expect(parseTopic(bad), bad).toBeNull();
  });

  it('reads data by the aliases of its birth, maps devices and metrics, groups values by time', () => {
    const s = new SparkplugState({
      devices: { 'edge1/dev7': 'press-007' },
      metrics: { 'Motor/Temp': 'motor_temp' },
    });
    expect(s.decode(`spBv1.0/${G}/NBIRTH/edge1`, birth(0), 0).events).toEqual([]);
    const b = s.decode(`spBv1.0/${G}/DBIRTH/edge1/dev7`, dbirth(1), 0);
    // A birth carries current values: they are readings too.
    expect(b.rows).toEqual([
      { equipment: 'press-007', ts: T0 * 1000, values: { force: 10, motor_temp: 40 } },
    ]);
    const d = s.decode(
      `spBv1.0/${G}/DDATA/edge1/dev7`,
      encodePayload({
        timestamp: T0 + 2000,
        seq: 2,
        metrics: [
          { alias: 1, type: 'Double', value: 11, timestamp: T0 + 1000 },
          { alias: 2, type: 'Float', value: 41.5, timestamp: T0 + 1000 },
          { alias: 1, type: 'Double', value: 12 },
        ],
      }),
      0,
    );
    expect(d.events).toEqual([]);
    expect(d.rows).toEqual([
      { equipment: 'press-007', ts: (T0 + 1000) * 1000, values: { force: 11, motor_temp: 41.5 } },
      { equipment: 'press-007', ts: (T0 + 2000) * 1000, values: { force: 12 } },
    ]);
  });

  it('asks for a rebirth on an alias it was never told, once per 30 s, and reports the message', () => {
    let now = T0;
    const s = new SparkplugState({}, true, () => now);
    s.decode(`spBv1.0/${G}/NBIRTH/edge1`, birth(0), 0);
    s.decode(`spBv1.0/${G}/DBIRTH/edge1/d1`, dbirth(1), 0);
    const d = s.decode(`spBv1.0/${G}/DDATA/edge1/d1`, ddata(2, T0, [{ alias: 9, value: 1 }]), 0);
    expect(d.rows).toEqual([]);
    expect(d.events).toMatchObject([
      {
        kind: 'mqtt_rejected',
        equipment: 'd1',
        detail: expect.stringMatching(/alias 9 is not in its birth/),
      },
    ]);
    expect(d.rebirth?.topic).toBe(`spBv1.0/${G}/NCMD/edge1`);
    expect(
      s.decode(`spBv1.0/${G}/DDATA/edge1/d1`, ddata(3, T0, [{ alias: 9, value: 1 }]), 0).rebirth,
    ).toBeNull();
    now += 31_000;
    expect(
      s.decode(`spBv1.0/${G}/DDATA/edge1/d1`, ddata(4, T0, [{ alias: 9, value: 1 }]), 0).rebirth,
    ).not.toBeNull();
    // Data from a device whose birth this reader never saw: a rebirth is asked for too.
    const fresh = new SparkplugState({}, true, () => now);
    expect(
      fresh.decode(`spBv1.0/${G}/DDATA/edge2/d9`, ddata(5, T0, [{ alias: 1, value: 1 }]), 0).rebirth,
    ).not.toBeNull();
  });

  it('reports a sequence gap, a death per device, bad payloads and values that are not numbers', () => {
    const s = new SparkplugState();
    s.decode(`spBv1.0/${G}/NBIRTH/edge1`, birth(0), 0);
    s.decode(`spBv1.0/${G}/DBIRTH/edge1/d1`, dbirth(1), 0);
    s.decode(`spBv1.0/${G}/DBIRTH/edge1/d2`, dbirth(2), 0);
    const gap = s.decode(`spBv1.0/${G}/DDATA/edge1/d1`, ddata(5, T0, [{ alias: 1, value: 3 }]), 0);
    expect(gap.rows).toHaveLength(1); // the data is kept; the gap is said
    expect(gap.events).toMatchObject([
      { kind: 'sequence_gap', detail: expect.stringMatching(/sequence 5 after 2 \(expected 3\)/) },
    ]);
    // 255 wraps to 0.
    const wrap = new SparkplugState();
    wrap.decode(`spBv1.0/${G}/NBIRTH/e`, birth(0), 0);
    wrap.decode(`spBv1.0/${G}/DBIRTH/e/d`, dbirth(255), 0);
    expect(wrap.decode(`spBv1.0/${G}/DDATA/e/d`, ddata(0, T0, [{ alias: 1, value: 1 }]), 0).events).toEqual(
      [],
    );
    const str = s.decode(
      `spBv1.0/${G}/DDATA/edge1/d1`,
      ddata(6, T0, [{ alias: 1, value: 'high', type: 'String' }]),
      0,
    );
    expect(str.events).toMatchObject([
      { kind: 'mqtt_rejected', detail: expect.stringMatching(/is a String, not a number/) },
    ]);
    const junk = s.decode(`spBv1.0/${G}/DDATA/edge1/d1`, Uint8Array.of(0xff, 0xff, 0xff), 0);
    expect(junk.events).toMatchObject([
      { kind: 'mqtt_rejected', detail: expect.stringMatching(/not a Sparkplug B payload/) },
    ]);
    const death = s.decode(
      `spBv1.0/${G}/NDEATH/edge1`,
      encodePayload({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }),
      0,
    );
    expect(death.events.map((e) => [e.kind, e.equipment])).toEqual([
      ['offline', 'edge1'],
      ['offline', 'd1'],
      ['offline', 'd2'],
    ]);
  });
});

describe('plain JSON topics, mapped by the plant file', () => {
  it('matches named levels and subscribes with plain wildcards', () => {
    expect(filterOf('plant1/+line/+equipment/telemetry')).toBe('plant1/+/+/telemetry');
    expect(matchTopic('plant1/+line/+equipment/telemetry', 'plant1/L2/press-9/telemetry')).toEqual({
      line: 'L2',
      equipment: 'press-9',
    });
    expect(matchTopic('plant1/+line/+equipment/telemetry', 'plant1/L2/press-9/status')).toBeNull();
    expect(matchTopic('plant1/+equipment/#', 'plant1/p/a/b')).toEqual({ equipment: 'p' });
  });

  it('reads objects or arrays of them; a bad item is reported and the rest kept', () => {
    const m = { pattern: 'p/+equipment/t', time: 'time', fields: { f: 'force', temp: 'motor_temp' } };
    const r = decodeJson(
      m,
      'p/press-1/t',
      Buffer.from(
        JSON.stringify([
          { time: T0, f: 1.5, temp: 40, ignored: 'x' },
          { time: '2025-06-01T08:00:01Z', f: null },
          { time: 'soon', f: 1 },
          { time: T0, f: 'high' },
        ]),
      ),
    );
    expect(r.rows).toEqual([
      { equipment: 'press-1', ts: T0 * 1000, values: { force: 1.5, motor_temp: 40 } },
      { equipment: 'press-1', ts: (T0 + 1000) * 1000, values: { force: NaN } },
    ]);
    expect(r.events.map((e) => e.detail)).toEqual([
      expect.stringMatching(/item 2: time: .*RFC 3339/),
      expect.stringMatching(/item 3: f: "high" is not a number/),
    ]);
    expect(decodeJson(m, 'p/press-1/t', Buffer.from('{oops')).events[0]?.detail).toMatch(/not JSON/);
  });
});
