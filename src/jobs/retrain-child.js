// Entry of the retrain job's child process (retrain-runner.ts). Plain JavaScript, so that the whole
// process is lowered below the API before anything loads, then tsx is registered (a child started
// by the CLI or `npm start` does not inherit their programmatic loader).
//
// Every thread is lowered, not only this one: Linux keeps nice values per thread, and V8's
// platform threads (garbage collection, compilation) and libuv's pool start before any JavaScript
// runs. Threads started later inherit the value. Elsewhere setPriority lowers the whole process.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

const RETRAIN_NICE = 10;

function lower(id) {
  try {
    setPriority(id, RETRAIN_NICE);
  } catch {
    // not allowed here: the retrain runs at the engine's priority
  }
}
if (process.platform === 'linux') {
  let tids = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    tids = ['0'];
  }
  for (const tid of tids) lower(Number(tid));
} else lower(0);

const { register } = await import('tsx/esm/api');
register();
await import('./retrain-child-main.ts');
