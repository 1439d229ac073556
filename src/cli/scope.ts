/** The model scope a command works on: from the plant in force, named by --scope or the only one. */
import { modelScopes, pickScope } from '../../pipelines/scopes.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { currentPlant } from '../plant/index.ts';
import type { Plant } from '../plant/index.ts';
import type { Store } from '../store/index.ts';

/** The plant in force, or a usage error saying how to apply one. */
export async function plantInForce(store: Store, command: string): Promise<Plant> {
  const p = await currentPlant(store);
  if (p === null)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `${command}: no plant file is applied: pdm plant apply FILE first (examples/plants/ has two; docs/onboarding.md walks through one)`,
    );
  return p.plant;
}

export async function chooseScope(store: Store, command: string, name?: string): Promise<ModelScope> {
  const plant = await plantInForce(store, command);
  try {
    return pickScope(modelScopes(plant), name);
  } catch (err) {
    throw new PdmError(ErrorCodes.CLI_USAGE, `${command}: ${(err as Error).message}`);
  }
}
