import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPlantFile } from '../../src/plant/index.ts';
import { CLASSES, SIMULATED_PLANT_FILE, simulatedPlant } from '../../src/sim/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the plant is data: no layer here may know the simulator's sensors, modes or classes. */
const DIRS = ['features', 'models', 'pipelines', 'src/scoring', 'src/api', 'dashboard/src'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|js|html|css)$/.test(f) ? [p] : [];
  });
}

/** String and template literals of a source, comments dropped (a rough lexer: enough for our code). */
function literals(text: string): string[] {
  const out: string[] = [];
  const re = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g;
  for (const m of text.matchAll(re))
    if (!m[0].startsWith('/'))
      // A template's ${...} parts are code, not text.
      out.push(m[0].slice(1, -1).replace(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, '${}'));
  return out;
}

describe("the simulator's plant is data, not code", () => {
  const plant = readPlantFile(SIMULATED_PLANT_FILE);
  const classes = Object.keys(plant.classes);
  const sensors = [...new Set(Object.values(plant.classes).flatMap((c) => c.sensors.map((s) => s.name)))];
  const modes = [...new Set(Object.values(plant.classes).flatMap((c) => c.failure_modes.map((m) => m.name)))];
  const characteristics = Object.values(plant.classes).flatMap((c) => c.quality.map((q) => q.characteristic));
  const products = Object.values(plant.classes).flatMap((c) =>
    c.quality.flatMap((q) => Object.keys(q.limits)),
  );
  const equipment = plant.equipment.map((e) => e.id);
  const names = [...classes, ...sensors, ...modes, ...characteristics, ...products, ...equipment];

  it('names no sensor, mode, class, characteristic, product or machine of it in the layers above the store', () => {
    expect(names.length).toBeGreaterThan(30);
    const found: string[] = [];
    for (const file of DIRS.flatMap((d) => sources(path.join(ROOT, d)))) {
      const text = readFileSync(file, 'utf8');
      const rel = path.relative(ROOT, file);
      for (const name of names) {
        const word = new RegExp(`(^|[^A-Za-z0-9_-])${name.replace(/[-]/g, '\\-')}($|[^A-Za-z0-9_-])`);
        // A name with _ or - is the simulator's wherever it appears, comments included; a plain
        // word (current, flow, pump) only counts where code uses it as data: in a string.
        const distinctive = /[_-]/.test(name);
        const hit = distinctive ? word.test(text) : literals(text).some((l) => word.test(l));
        if (hit) found.push(`${rel}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('finds a name where one is planted (the check itself works)', () => {
    const planted = `const x = 'bearing'; // bearing_temp\nconst y = \`\${a}__flow\`;`;
    expect(literals(planted)).toEqual(['bearing', '${}__flow']);
    expect(/(^|[^A-Za-z0-9_-])bearing_temp($|[^A-Za-z0-9_-])/.test(planted)).toBe(true);
  });

  it("simulates exactly the plant file's classes: every sensor and mode it writes is declared there", () => {
    for (const c of CLASSES) {
      const declared = plant.classes[c.name];
      expect(declared, c.name).toBeDefined();
      expect([...c.sensors].sort()).toEqual(declared!.sensors.map((s) => s.name).sort());
      expect([...c.modes].sort()).toEqual(declared!.failure_modes.map((m) => m.name).sort());
      expect(c.quality?.characteristic ?? null).toBe(declared!.quality[0]?.characteristic ?? null);
    }
    // The file lists the 12 machines `npm start` simulates, placed as the simulator places them.
    expect(simulatedPlant({ equipment: 12 }).equipment).toEqual(plant.equipment);
  });
});
