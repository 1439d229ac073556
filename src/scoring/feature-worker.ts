/**
 * A live score's sensor features, computed on a worker thread instead of the API's.
 *
 * Every new reading of an equipment makes its next live score recompute the features over its
 * whole window (a day at 1 s: 5-10 ms of kernels). With the plant streaming, every machine gets a
 * reading each second at about the same moment, so those recomputes came back to back on the
 * event loop (`npm run bench:api -- --server inline --live --duration 10`, one run each: the
 * event loop's delay p99 63.5 ms and max 121 ms before, 18.9 and 56 ms with the worker; the held
 * score p99 did not move, 136 and 139 ms: its tail is elsewhere). The live windows live in
 * SharedArrayBuffers (live-window.ts), so
 * the worker reads them in place: nothing is copied but the feature set and the 448-odd results.
 * A handed-out view's rows never change (the window only appends past them, and compacts or
 * reloads into new arrays), so the worker reads them while the API thread goes on appending.
 *
 * One worker, started at the first live score; it holds the process only while it computes. If it
 * fails or dies, the caller computes on its own thread (and the next call starts a new worker).
 */
import { Worker } from 'node:worker_threads';
import type { FeatureSet } from '../../features/index.ts';

interface Pending {
  readonly resolve: (x: Float64Array) => void;
  readonly reject: (err: Error) => void;
}

type Answer =
  { readonly id: number; readonly x: Float64Array } | { readonly id: number; readonly error: string };

class FeatureWorker {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  compute(fs: FeatureSet, ts: Float64Array, values: readonly Float64Array[]): Promise<Float64Array> {
    const worker = (this.worker ??= this.spawn());
    const id = this.next++;
    worker.ref();
    return new Promise<Float64Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, fs, ts, values });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./feature-worker.js', import.meta.url));
    worker.on('message', (m: Answer) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (p === undefined) return;
      if ('x' in m) p.resolve(m.x);
      else p.reject(new Error(`feature worker: ${m.error}`));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`feature worker exited with code ${code}`)));
    worker.unref();
    return worker;
  }
}

let shared: FeatureWorker | undefined;

/** True when the worker can read these arrays in place (they live in SharedArrayBuffers). */
export function inPlace(ts: Float64Array, values: readonly Float64Array[]): boolean {
  return ts.buffer instanceof SharedArrayBuffer && values.every((v) => v.buffer instanceof SharedArrayBuffer);
}

/** `featuresAtLast` of a window (µs times) on the feature worker. */
export function featuresAtLastOffThread(
  fs: FeatureSet,
  ts: Float64Array,
  values: readonly Float64Array[],
): Promise<Float64Array> {
  return (shared ??= new FeatureWorker()).compute(fs, ts, values);
}
