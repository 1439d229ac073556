/** Inside a training worker (forest.ts's pool): each message is trees [from, to) of a forest to train. */
import { parentPort } from 'node:worker_threads';
import { trainTrees } from './forest.ts';
import type { TrainJob } from './forest.ts';

parentPort?.on('message', (job: TrainJob) => {
  try {
    const trees = trainTrees(
      job.binned,
      job.target,
      job.params,
      job.options,
      job.classWeight,
      job.from,
      job.to,
    );
    parentPort?.postMessage({ trees });
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
