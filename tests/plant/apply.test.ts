import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { isPdmError } from '../../src/errors.ts';
import { applyPlant, currentPlant, readPlantFile } from '../../src/plant/index.ts';
import type { Plant } from '../../src/plant/index.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { query, sql, waitForWal, Writer } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(12);

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/plants');

/** Applying plant files to the real QuestDB: columns, equipment records, versions, orphan refusal. */
describe('applying a plant', () => {
  let store: Store;
  let app: FastifyInstance;
  let engineer = '';
  let mes = '';
  const columns = async () =>
    (await query<{ name: string }>(store.pool, sql('telemetry_columns', store.tables))).rows.map(
      (r) => r.name,
    );
  beforeAll(async () => {
    store = await openTestStore('plant');
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-plant-models-')));
    const keys = new KeyStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-plant-keys-')), 'k.json'));
    engineer = keys.create('engineer').key;
    mes = keys.create('mes').key;
    app = await buildApp({ store, registry, scorer: new LiveScorer(store, registry, SIM.plant), keys });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('applies the simulator and the FD001 plants: sensor columns, equipment records, one version each; again changes nothing', async () => {
    const sim = await applyPlant(store, readPlantFile(path.join(EXAMPLES, 'simulated.yaml')));
    expect([sim.version, sim.changed, sim.columns_added, sim.equipment_written.length]).toEqual([
      1,
      true,
      [],
      12,
    ]);
    const again = await applyPlant(store, readPlantFile(path.join(EXAMPLES, 'simulated.yaml')));
    expect([again.version, again.changed]).toEqual([1, false]);
    const fd = await applyPlant(store, readPlantFile(path.join(EXAMPLES, 'cmapss-fd001.yaml')), {
      acceptOrphans: false,
    });
    expect(fd.version).toBe(2);
    expect(fd.columns_added).toHaveLength(24); // 21 sensors + 3 settings, new to telemetry
    expect(await columns()).toEqual(expect.arrayContaining(['t24', 'ps30', 'setting_3', 'flow']));
    await waitForWal(store.pool, store.tables, store.tables.equipment);
    const eq = await query<{ equipment: string; equipment_class: string }>(
      store.pool,
      sql('equipment_current', store.tables),
    );
    expect(eq.rows.filter((r) => r.equipment_class === 'turbofan')).toHaveLength(100);
    expect((await currentPlant(store))?.plant.name).toBe('nasa-cmapss-fd001');
    expect((await currentPlant(store, 1))?.plant.name).toBe('simulated');
  });

  it('refuses a rename that would orphan stored readings, says which and how many, unless accepted', async () => {
    const base: Plant = readPlantFile(path.join(EXAMPLES, 'cmapss-fd001.yaml'));
    await applyPlant(store, base);
    const w = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.telemetry,
      symbols: ['equipment'],
      doubles: ['t24'],
      readings: true,
    });
    for (let i = 0; i < 5; i++) await w.append(Date.UTC(2025, 0, 1, i) * 1000, ['fd001-007'], [642 + i]);
    await w.close();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const tf = base.classes.turbofan!;
    const renamed: Plant = {
      ...base,
      classes: {
        turbofan: {
          ...tf,
          sensors: tf.sensors.map((s) => (s.name === 't24' ? { ...s, name: 't24_lpc_out' } : s)),
        },
      },
    };
    const before = (await currentPlant(store))?.version;
    const err = await applyPlant(store, renamed).catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_PLANT_INVALID')).toBe(true);
    expect(String((err as Error).message)).toMatch(/fd001-007\.t24: 5 readings/);
    expect((await currentPlant(store))?.version).toBe(before); // nothing applied
    expect(await columns()).not.toContain('t24_lpc_out');
    const accepted = await applyPlant(store, renamed, { acceptOrphans: true });
    expect(accepted.orphans_accepted).toEqual(['fd001-007.t24: 5 readings']);
    expect(accepted.columns_added).toEqual(['t24_lpc_out']);
  });

  it('PUT /v1/plant: every problem named by its path as problem+json, nothing applied; a good file applied', async () => {
    const before = (await currentPlant(store))?.version;
    const bad = await app.inject({
      method: 'PUT',
      url: '/v1/plant',
      headers: { authorization: `Bearer ${engineer}` },
      payload: {
        name: 'x',
        classes: { pump: { sensors: [{ name: 'flow', range: [1, 0] }] } },
        equipment: [],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json().field).toBe('body.classes.pump.sensors[0].unit');
    expect(bad.json().problems).toEqual([
      'body.classes.pump.sensors[0].unit: required',
      'body.classes.pump.sensors[0].range: low 1 must be below high 0',
      'body.equipment: required: at least one equipment',
    ]);
    expect((await currentPlant(store))?.version).toBe(before);
    const good = await app.inject({
      method: 'PUT',
      url: '/v1/plant',
      headers: { authorization: `Bearer ${engineer}` },
      payload: readPlantFile(path.join(EXAMPLES, 'simulated.yaml')),
    });
    expect(good.statusCode, good.body).toBe(200);
    expect(good.json().changed).toBe(true);
    const shown = await app.inject({
      method: 'GET',
      url: '/v1/plant',
      headers: { authorization: `Bearer ${engineer}` },
    });
    expect(shown.json().plant.name).toBe('simulated');
    expect(shown.json().applied_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  it('checks readings against the plant in force: a value outside its range or a sensor the class lacks is refused, naming it', async () => {
    // The simulator's plant is in force (the previous test applied it); cnc-001 is a cnc_spindle.
    const as = { authorization: `Bearer ${mes}` };
    const at = '2025-03-01T00:00:00Z';
    const hot = await app.inject({
      method: 'POST',
      url: '/v1/telemetry',
      headers: as,
      payload: [
        { ts: at, equipment: 'cnc-001', bearing_temp: 61.5 },
        { ts: at, equipment: 'cnc-002', bearing_temp: 900 },
      ],
    });
    expect(hot.statusCode).toBe(400);
    expect(hot.json().field).toBe('body.1.bearing_temp');
    expect(hot.json().detail).toMatch(
      /900 is outside the plausible range \[-20, 200\] degC of bearing_temp on cnc_spindle/,
    );
    const nd = await app.inject({
      method: 'POST',
      url: '/v1/telemetry',
      headers: { ...as, 'content-type': 'application/x-ndjson' },
      payload: [
        JSON.stringify({ ts: at, equipment: 'cnc-001', bearing_temp: 61.5, flow: null }),
        JSON.stringify({ ts: at, equipment: 'cnc-002', bearing_temp: 62, flow: 30 }),
        JSON.stringify({ ts: at, equipment: 'cnc-003', bearing_temp: -400, flow: null }),
      ].join('\n'),
    });
    expect(nd.statusCode, nd.body).toBe(200);
    expect(nd.json()).toMatchObject({ accepted: 1, rejected: 2 });
    // The equipment view's answer carries each sensor's unit from the plant file.
    const health = await app.inject({
      method: 'GET',
      url: `/v1/equipment/cnc-001/health?at=${encodeURIComponent('2025-03-01T01:00:00Z')}`,
      headers: { authorization: `Bearer ${engineer}` },
    });
    expect(health.statusCode, health.body).toBe(200);
    expect(health.json().units).toMatchObject({ bearing_temp: 'degC', vibration_rms: 'mm/s' });
    expect(nd.json().rejections).toEqual([
      { row: 2, field: 'flow', reason: expect.stringMatching(/not a sensor of class cnc_spindle/) },
      { row: 3, field: 'bearing_temp', reason: expect.stringMatching(/-400 is outside the plausible range/) },
    ]);
  });
});
