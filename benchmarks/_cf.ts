import { failureCrossFitSet, walkForwardFolds } from '../pipelines/harness.ts';
import { evidenceOf, simulatedHistory } from '../tests/helpers/plant-evidence.ts';
import { simPlant } from '../tests/helpers/plant.ts';
const SIM = simPlant(4);
const history = await simulatedHistory({ equipment: 4, days: 18, seed: 21, start: Date.UTC(2025, 5, 1) / 1000, sampleSeconds: 120 });
const base = evidenceOf(history, SIM.scope.featureSet);
console.log(base.failures.map((f) => [f.equipment, new Date(f.ts / 1000).toISOString(), f.mode].join(' ')));
for (const fold of walkForwardFolds(base.ts, 3)) {
  const cf = failureCrossFitSet(base, fold.cut, { horizonHours: 24, blocks: 3 });
  console.log(fold.k, new Date(fold.cut / 1000).toISOString(), cf.blocks.map((b) => [b.held.reduce((s, p) => s + cf.y[p]!, 0), b.fit.reduce((s, p) => s + cf.y[p]!, 0)]));
}
