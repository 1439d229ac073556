/**
 * The OPC UA source against a node-opcua server this test starts (a PLC's address space: two
 * presses' force and temperature), and the run's real QuestDB: values stored at their source time,
 * a bad status stored as missing with an event, a value outside its range refused, an OPC UA node
 * and an MQTT topic reporting two sensors of one machine at the same instant both read back, and a
 * server that goes away and comes back reconnected to by itself.
 */
import mqtt from 'mqtt';
import { DataType, StatusCodes, Variant } from 'node-opcua-client';
import { OPCUAServer } from 'node-opcua-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlant, validatePlant } from '../../src/plant/index.ts';
import type { Plant } from '../../src/plant/index.ts';
import { MqttSource, OpcUaSource } from '../../src/sources/index.ts';
import { query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { freePort } from '../helpers/ports.ts';
import { openTestStore } from '../helpers/store.ts';
import { forgetSession } from '../helpers/mqtt.ts';

const URL = process.env.PDM_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const G = `pdmua${process.pid}x${Date.now() % 1e6}`;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3 * 3600e3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type UAVariable = ReturnType<
  ReturnType<NonNullable<OPCUAServer['engine']['addressSpace']>['getOwnNamespace']>['addVariable']
>;

/** A PLC: an OPC UA server with a force and a temperature variable per press. */
async function plc(port: number): Promise<{ server: OPCUAServer; vars: Map<string, UAVariable> }> {
  const server = new OPCUAServer({ port, resourcePath: '/UA/plc', allowAnonymous: true });
  await server.initialize();
  const space = server.engine.addressSpace!;
  const ns = space.getOwnNamespace();
  const vars = new Map<string, UAVariable>();
  for (const press of ['Press1', 'Press2']) {
    const device = ns.addObject({ organizedBy: space.rootFolder.objects, browseName: press });
    for (const signal of ['Force', 'Temp', 'Oil'])
      vars.set(
        `${press}.${signal}`,
        ns.addVariable({
          componentOf: device,
          nodeId: `s=${press}.${signal}`,
          browseName: signal,
          dataType: 'Double',
          value: new Variant({ dataType: DataType.Double, value: 0 }),
        }),
      );
  }
  await server.start();
  return { server, vars };
}

describe('the OPC UA source, against a node-opcua server and the real QuestDB', () => {
  let store: Store;
  let port = 0;
  let ua: Awaited<ReturnType<typeof plc>>;
  let plant: Plant;
  let source: OpcUaSource;
  const set = (name: string, value: number, at: number, status = StatusCodes.Good) =>
    ua.vars
      .get(name)!
      .setValueFromSource(new Variant({ dataType: DataType.Double, value }), status, new Date(at));
  const rowsOf = async (where: string) => {
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    return (
      await query<{ ts: string; force: number | null; motor_temp: number | null }>(
        store.pool,
        `SELECT ts, force, motor_temp FROM ${store.tables.telemetry} WHERE ${where} ORDER BY ts, force`,
      )
    ).rows;
  };
  const until = async (where: string, n: number) => {
    let r = await rowsOf(where);
    for (let i = 0; i < 100 && r.length < n; i++) {
      await sleep(100);
      r = await rowsOf(where);
    }
    return r;
  };

  beforeAll(async () => {
    port = await freePort();
    ua = await plc(port);
    const endpoint = `opc.tcp://127.0.0.1:${port}/UA/plc`;
    const ns = ua.server.engine.addressSpace!.getOwnNamespace().index;
    plant = validatePlant({
      name: 'opcua-test',
      classes: {
        press: {
          sensors: [
            { name: 'force', unit: 'kN', range: [0, 500] },
            { name: 'motor_temp', unit: 'degC', range: [-20, 200] },
          ],
        },
      },
      equipment: [
        { id: 'press-1', class: 'press', site: 's', line: 'l' },
        { id: 'press-2', class: 'press', site: 's', line: 'l' },
      ],
      opcua: {
        servers: [
          {
            endpoint,
            publishing_ms: 100,
            nodes: [
              { node: `ns=${ns};s=Press1.Force`, equipment: 'press-1', sensor: 'force', sampling_ms: 50 },
              { node: `ns=${ns};s=Press2.Force`, equipment: 'press-2', sensor: 'force', sampling_ms: 50 },
              { node: `ns=${ns};s=Press2.Temp`, equipment: 'press-2', sensor: 'motor_temp', sampling_ms: 50 },
              // An absolute deadband of 5: a change smaller than that is not reported.
              {
                node: `ns=${ns};s=Press1.Oil`,
                equipment: 'press-1',
                sensor: 'motor_temp',
                sampling_ms: 50,
                deadband: 5,
              },
            ],
          },
        ],
      },
      mqtt: { topics: [{ pattern: `${G}/+equipment/telemetry` }] },
    });
    store = await openTestStore('opcua');
    await applyPlant(store, plant);
    source = await OpcUaSource.start({ plant, store, batchMs: 100 });
    for (let i = 0; i < 100 && source.stats.monitored < 4; i++) await sleep(100);
  }, 120_000);
  afterAll(async () => {
    await source?.stop();
    await ua?.server.shutdown();
    await store?.close();
  });

  it('stores each value at its source time; a bad status as missing with an event; an implausible one refused', async () => {
    expect(source.stats.monitored).toBe(4);
    for (let k = 1; k <= 5; k++) {
      set('Press1.Force', 100 + k, T0 + k * 1000);
      await sleep(120); // one sample per publish: each change is seen
    }
    set('Press1.Force', 0, T0 + 6000, StatusCodes.BadSensorFailure);
    await sleep(120);
    set('Press1.Force', 9999, T0 + 7000); // kN: outside [0, 500]
    await sleep(120);
    // (The subscription's first value, the variable's initial 0 at its creation, is later than these.)
    const rows = await until(
      `equipment = 'press-1' AND ts >= '${new Date(T0).toISOString()}' AND ts < '${new Date(T0 + 10_000).toISOString()}'`,
      6,
    );
    expect(rows.map((r) => [Date.parse(`${r.ts.slice(0, 19)}Z`) - T0, r.force])).toEqual([
      [1000, 101],
      [2000, 102],
      [3000, 103],
      [4000, 104],
      [5000, 105],
      [6000, null], // BadSensorFailure: the reading is there, its value missing
    ]);
    await sleep(300);
    await waitForWal(store.pool, store.tables, store.tables.events);
    const { rows: events } = await query<{ kind: string; sensor: string; detail: string }>(
      store.pool,
      `SELECT kind, sensor, detail FROM ${store.tables.events} WHERE equipment = 'press-1' ORDER BY ts`,
    );
    expect(events).toMatchObject([
      {
        kind: 'opcua_bad_quality',
        sensor: 'force',
        detail: expect.stringMatching(/status BadSensorFailure: stored as missing/),
      },
      {
        kind: 'opcua_rejected',
        sensor: 'force',
        detail: expect.stringMatching(/9999 is outside the plausible range \[0, 500\] kN/),
      },
    ]);
  });

  it("reports a node's change only beyond its deadband", async () => {
    const from = T0 + 30_000;
    // 50, then steps of 1 (inside the deadband of 5), then 58 (beyond it), then 59 (inside again).
    const values = [50, 51, 52, 53, 58, 59];
    for (const [k, v] of values.entries()) {
      set('Press1.Oil', v, from + k * 1000);
      await sleep(120);
    }
    const where = `equipment = 'press-1' AND motor_temp IS NOT NULL AND ts >= '${new Date(from).toISOString()}' AND ts < '${new Date(from + 10_000).toISOString()}'`;
    await until(where, 2);
    await sleep(300); // nothing more is coming
    const rows = await rowsOf(where);
    expect(rows.map((r) => r.motor_temp)).toEqual([50, 58]);
  });

  it('keeps an OPC UA node and an MQTT topic of one machine apart at the same instant: both read back', async () => {
    const mq = await MqttSource.start({ url: URL, plant, store, clientId: `${G}-w`, batchMs: 50 });
    const at = T0 + 60_000;
    set('Press2.Force', 42, at); // OPC UA: force
    const pub = await mqtt.connectAsync(URL, { clientId: `${G}-pub`, protocolVersion: 5 });
    await pub.publishAsync(`${G}/press-2/telemetry`, JSON.stringify({ ts: at, motor_temp: 61.5 }), {
      qos: 1,
    });
    await pub.endAsync();
    const rows = await until(`equipment = 'press-2' AND ts = '${new Date(at).toISOString()}'`, 2);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ force: 42, motor_temp: null }),
        expect.objectContaining({ force: null, motor_temp: 61.5 }),
      ]),
    );
    await mq.stop();
    await forgetSession(URL, `${G}-w`);
  });

  it('reconnects by itself to a server that went away and came back, and reads on', async () => {
    const before = source.stats.connections;
    await ua.server.shutdown();
    await sleep(1500);
    ua = await plc(port);
    for (let i = 0; i < 200 && source.stats.connections === before; i++) await sleep(100);
    expect(source.stats.connections).toBe(before + 1);
    for (let i = 0; i < 50 && source.stats.monitored < 4; i++) await sleep(100);
    const at = T0 + 120_000;
    set('Press1.Force', 77, at);
    const rows = await until(`equipment = 'press-1' AND ts = '${new Date(at).toISOString()}'`, 1);
    expect(rows.map((r) => r.force)).toEqual([77]);
  }, 90_000);
});
