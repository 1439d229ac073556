/**
 * The simulator's plant for tests: the plant of a simulation of `equipment` machines (its plant
 * file's classes) and its model scope (the small classes pooled: one scope).
 */
import { modelScopes } from '../../pipelines/index.ts';
import type { ModelScope } from '../../pipelines/index.ts';
import type { Plant } from '../../src/plant/index.ts';
import { simulatedPlant } from '../../src/sim/index.ts';

export function simPlant(equipment: number): { plant: Plant; scope: ModelScope } {
  const plant = simulatedPlant({ equipment });
  const scopes = modelScopes(plant);
  if (scopes.length !== 1) throw new Error(`the simulated plant has ${scopes.length} scopes, expected 1`);
  return { plant, scope: scopes[0]! };
}
