/**
 * The simulator as one plant among others: its classes (sensors with units and ranges, failure
 * modes with ISO 14224-style codes, quality limits, feature sets) come from its plant file,
 * examples/plants/simulated.yaml, like any plant's; the machines are the layout `buildPlant`
 * makes for the requested size (the file lists the 12 that `npm start` simulates). `pdm simulate`
 * and `npm start` apply this plant, so the simulated readings take the same path (checked against
 * the plant, featured and modelled by its classes) as a real plant's.
 */
import { fileURLToPath } from 'node:url';
import { readPlantFile } from '../plant/index.ts';
import type { Plant } from '../plant/index.ts';
import { buildPlant } from './plant.ts';
import type { PlantOptions } from './plant.ts';

/** The simulator's plant file. */
export const SIMULATED_PLANT_FILE = fileURLToPath(
  new URL('../../examples/plants/simulated.yaml', import.meta.url),
);

let file: Plant | undefined;

/** The plant of a simulation of `equipment` machines (same layout, seed-independent ids and places). */
export function simulatedPlant(o: Pick<PlantOptions, 'equipment'> & Partial<PlantOptions>): Plant {
  file ??= readPlantFile(SIMULATED_PLANT_FILE);
  const specs = buildPlant({ equipment: o.equipment, seed: o.seed ?? 1 });
  return {
    ...file,
    equipment: specs.map((e) => ({
      id: e.id,
      class: e.cls.name,
      site: e.site,
      area: e.area,
      line: e.line,
      cell: e.cell,
      name: null,
      installed_at: null,
    })),
  };
}
