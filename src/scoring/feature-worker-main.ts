/** Inside the feature worker: each message is a window (µs times, one array per sensor) to compute the features at its last row. */
import { parentPort } from 'node:worker_threads';
import { featuresAtLast } from '../../features/index.ts';
import type { FeatureSet } from '../../features/index.ts';
import { errorMessage } from '../errors.ts';
import { lowerThreadPriority } from '../thread-priority.ts';

// Below the API's thread: a live score does not wait for these features (the previous reading's
// score answers meanwhile), so they can wait for the CPU.
lowerThreadPriority(10);

parentPort?.on('message', (m: { id: number; fs: FeatureSet; ts: Float64Array; values: Float64Array[] }) => {
  try {
    const seconds = new Float64Array(m.ts.length);
    for (let i = 0; i < m.ts.length; i++) seconds[i] = (m.ts[i] as number) / 1e6;
    const x = featuresAtLast(m.fs, seconds, m.values);
    parentPort?.postMessage({ id: m.id, x }, [x.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: errorMessage(err) });
  }
});
