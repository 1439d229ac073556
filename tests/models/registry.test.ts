import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry, compileForest, predictColumns, trainForest } from '../../models/index.ts';
import { isPdmError } from '../../src/errors.ts';

function data() {
  const n = 500;
  const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.3));
  const y = Float64Array.from(a, (v, i) => 3 * v - (b[i] as number));
  return { cols: [a, b], y };
}

const info = {
  kind: 'test',
  featureSet: 'fs',
  featureSetHash: 'abc123',
  featureNames: ['a', 'b'],
  trainingWindow: null,
  rows: 500,
  metrics: { rmse: 0.1 },
};

describe('the model registry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-registry-'));
  const registry = new ModelRegistry(dir);
  const { cols, y } = data();
  const f1 = trainForest(cols, y, { task: 'regression', trees: 5, seed: 1 });
  const f2 = trainForest(cols, y, { task: 'regression', trees: 5, seed: 2 });

  it('saves versions atomically and loads what it saved, bit for bit', () => {
    const m1 = registry.save('rul', f1, info);
    const m2 = registry.save('rul', f2, info);
    expect([m1.version, m2.version]).toEqual(['v0001', 'v0002']);
    expect(readdirSync(path.join(dir, 'rul', 'v0001')).sort()).toEqual(['meta.json', 'model.json']); // no temp files
    registry.promote('rul', 'v0001');
    const loaded = registry.load('rul', undefined, 'abc123');
    expect(loaded.meta.version).toBe('v0001');
    expect(Array.from(predictColumns(loaded.compiled, cols))).toEqual(
      Array.from(predictColumns(compileForest(f1), cols)),
    );
  });

  it('promotes and rolls back', () => {
    registry.promote('rul', 'v0002');
    expect(registry.promoted('rul')).toBe('v0002');
    expect(registry.rollback('rul')).toBe('v0001');
    expect(registry.promoted('rul')).toBe('v0001');
  });

  it('prunes versions never promoted beyond the newest few; every promoted one stays, and numbers are never reused', () => {
    const reg = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-registry-prune-')));
    for (let i = 0; i < 8; i++) reg.save('failure', f1, info); // v0001 .. v0008
    reg.promote('failure', 'v0002');
    reg.promote('failure', 'v0005');
    reg.promote('failure', 'v0002'); // rolled forward to an older one: both stay in the history
    expect(reg.prune('failure', 2)).toEqual(['v0001', 'v0003', 'v0004', 'v0006']);
    expect(reg.versions('failure')).toEqual(['v0002', 'v0005', 'v0007', 'v0008']);
    expect(reg.prune('failure', 2)).toEqual([]); // nothing more to do
    expect(reg.rollback('failure')).toBe('v0005');
    expect(reg.load('failure').meta.version).toBe('v0005');
    // Keep 0 still keeps the newest, so the next version is v0009, not a reused number.
    expect(reg.prune('failure', 0)).toEqual(['v0007']);
    expect(reg.save('failure', f2, info).version).toBe('v0009');
  });

  it('refuses a tampered model and a feature-set mismatch, saying which', () => {
    const err1 = (() => {
      try {
        registry.load('rul', 'v0001', 'other');
      } catch (e) {
        return e;
      }
    })();
    expect(isPdmError(err1, 'PDM_ERR_MODEL_FEATURES_MISMATCH')).toBe(true);
    expect((err1 as Error).message).toMatch(/trained on feature set fs abc123, not other/);
    const file = path.join(dir, 'rul', 'v0002', 'model.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"trees":5', '"trees":6'));
    expect(() => registry.load('rul', 'v0002')).toThrow(/checksum mismatch/);
    expect(() => registry.load('nope')).toThrow(/no promoted version/);
    expect(() => registry.save('Bad Name', f1, info)).toThrow(/invalid model name/);
  });
});
