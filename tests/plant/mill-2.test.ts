/**
 * A second plant, made up, onboarded from its plant file alone (examples/plants/mill-2.yaml): other
 * classes, sensors and failure modes than the simulator's, a class with models of its own and two
 * small ones pooled. Its history arrives as a plant's does (a CSV export per class through
 * `pdm ingest`, failures and repairs from the CMMS through POST /v1/maintenance by ISO 14224 code),
 * then the scopes are backtested and trained with the CLI and score through the API. No code knows
 * this plant; a change to it would be a change to the file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { readPlantFile } from '../../src/plant/index.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { connectStore, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { isolatedCli, pdm } from '../helpers/cli.ts';
import { mill2History } from '../helpers/mill-2.ts';
import type { Mill2History } from '../helpers/mill-2.ts';
import { testConfig } from '../helpers/store.ts';

const PLANT_FILE = path.resolve(import.meta.dirname, '../../examples/plants/mill-2.yaml');
const DAYS = 18;
/** The history ends at a whole hour a day ago: every instant is in the past. */
const END = Math.floor(Date.now() / 3600e3) * 3600e3 - 86_400e3;

describe('a made-up plant onboarded from its plant file alone', () => {
  const { dir, prefix, env } = isolatedCli('mill2');
  const plant = readPlantFile(PLANT_FILE);
  let history: Mill2History;
  let store: Store;
  let app: FastifyInstance;
  const keys = new KeyStore(path.join(dir, 'keys.json'));
  const mes = keys.create('mes').key;
  const as = { authorization: `Bearer ${mes}` };

  beforeAll(async () => {
    history = mill2History(plant, END, DAYS);
    const config = testConfig({ PDM_TABLE_PREFIX: prefix, PDM_MODELS_DIR: env.PDM_MODELS_DIR! });
    store = await connectStore(config, { start: false });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('applies the file: the spindles alone, the pumps and gearboxes pooled with the class as a feature', async () => {
    const r = await pdm(['plant', 'apply', PLANT_FILE, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.scopes).toMatchObject([
      { name: 'spindle', classes: ['spindle'] },
      { name: 'pooled', classes: ['centrifugal_pump', 'gearbox'] },
    ]);
    // The API answers from the plant in force (and follows a new one).
    const registry = new ModelRegistry(env.PDM_MODELS_DIR!);
    app = await buildApp({ store, registry, scorer: await LiveScorer.open(store, registry), keys });
  });

  it('takes each class export through pdm ingest and the CMMS failures through the API', async () => {
    for (const [cls, csv] of Object.entries(history.csv)) {
      const file = path.join(dir, `${cls}.csv`);
      writeFileSync(file, csv);
      const r = await pdm(['ingest', file, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.rejected, JSON.stringify(r.json.rejections)).toBe(0);
    }
    // A failure with a mode its class does not have is refused whole, naming it and the modes there are.
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/maintenance',
      headers: as,
      payload: [{ ...history.maintenance[0]!, kind: 'failure', mode: 'ELP', equipment: 'sp-01' }],
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().field).toBe('body.0.mode');
    expect(wrong.json().detail).toMatch(/spindle_bearing \(VIB\), coolant_loss \(OHE\)/);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/maintenance',
      headers: as,
      payload: history.maintenance,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().accepted).toBe(history.maintenance.length);
    for (const t of [store.tables.telemetry, store.tables.maintenance])
      await waitForWal(store.pool, store.tables, t);
    expect(history.failures).toBeGreaterThan(30);
  });

  it('refuses readings its classes do not declare: a pump has no spindle vibration', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/telemetry',
      headers: as,
      payload: [{ ts: new Date(END).toISOString(), equipment: 'p-01', axis_vibration_x: 3 }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('body.0.axis_vibration_x');
    expect(res.json().detail).toMatch(/not a sensor of class centrifugal_pump/);
  });

  it('backtests each scope walk-forward: the wear the sensors show is found out of sample', async () => {
    for (const scope of ['spindle', 'centrifugal_pump']) {
      const r = await pdm(
        ['backtest', 'failure', '--scope', scope, '--horizon', '24', '--report', dir, '--json'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.scope).toBe(scope === 'spindle' ? 'spindle' : 'pooled');
      expect(r.json.failures_in_test as number).toBeGreaterThan(5);
      expect(r.json.roc_auc as number).toBeGreaterThan(0.75);
      const top = (r.json.top_features as { feature: string }[]).map((f) => f.feature.split('__')[0]);
      // The model reads the plant file's sensors (or context), never another plant's.
      const own = new Set([
        ...Object.values(plant.classes).flatMap((c) => c.sensors.map((s) => s.name)),
        'hours_since_maintenance',
        'equipment_class',
      ]);
      expect(
        top.every((f) => own.has(f!)),
        top.join(', '),
      ).toBe(true);
    }
    // Naming no scope on a plant with two is a usage error that lists them.
    const none = await pdm(['backtest', 'failure', '--json'], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(
      /2 model scopes: name one with --scope \(spindle \(spindle\); pooled \(centrifugal_pump, gearbox\)\)/,
    );
  }, 120_000);

  it('trains each scope and scores a spindle and a pump with their own scope’s models', async () => {
    for (const args of [
      ['train', 'failure', '--scope', 'spindle', '--trees', '20', '--json'],
      ['train', 'failure', '--scope', 'pooled', '--trees', '20', '--json'],
      ['train', 'rul', '--scope', 'spindle', '--trees', '20', '--json'],
    ]) {
      const r = await pdm(args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.promoted).toBe('v0001');
    }
    // The running API picks the promotions up (the registry watch); poll its answer.
    const at = new Date(END - 6 * 3600e3).toISOString();
    const score = async (equipment: string) =>
      (
        await app.inject({ method: 'POST', url: '/v1/score', headers: as, payload: { equipment, at } })
      ).json();
    let sp = await score('sp-01');
    for (let i = 0; i < 100 && (sp.failure === null || sp.rul === null); i++) {
      await new Promise((r) => setTimeout(r, 100));
      sp = await score('sp-01');
    }
    expect(sp.status, JSON.stringify(sp.insufficient)).toBe('ok');
    expect(sp.failure.version).toBe('spindle.failure-any-24h@v0001');
    expect(sp.rul.version).toBe('spindle.rul-168h@v0001');
    const pump = await score('p-01');
    expect(pump.status, JSON.stringify(pump.insufficient)).toBe('ok');
    expect(pump.failure.version).toBe('pooled.failure-any-24h@v0001');
    expect(pump.rul).toBeNull(); // no RUL model trained for the pooled scope
    const gearbox = await score('gb-02');
    expect(gearbox.failure.version).toBe('pooled.failure-any-24h@v0001');
  }, 150_000);
});
