/** Inside a worker: trains trees [from, to) of a forest on the binned data it was sent. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Binned } from './binning.ts';
import { trainTrees } from './forest.ts';
import type { TreeParams } from './tree.ts';

interface Job {
  binned: Binned;
  target: Float64Array;
  params: TreeParams;
  options: { bootstrap: boolean; seed: number };
  classWeight: Float64Array;
  from: number;
  to: number;
}

const job = workerData as Job;
const trees = trainTrees(job.binned, job.target, job.params, job.options, job.classWeight, job.from, job.to);
parentPort?.postMessage(trees);
