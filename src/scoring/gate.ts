/**
 * Bounds the scores that read a stored window (an instant of the past: a day of readings per
 * request). They share the store's connection pool (4) with live scoring's small refresh queries;
 * unbounded, a burst of them takes every connection, live scores wait behind them, and every
 * request ends in a pool timeout (measured: `npm run bench:api`, 0 answered in 10 s). So at most
 * `concurrency` run at once and `queue` wait; a request that would wait beyond that is refused
 * at once, 503 with Retry-After, while work that must finish (the jobs) waits its turn.
 *
 * A waiting request whose client has gone (its `signal` aborted: the connection closed, e.g. a
 * client's timeout) leaves the queue without running: each costs a day of readings read and
 * parsed, and under load the queue was mostly work for clients that had already given up, read
 * while the ones still waiting timed out behind it.
 */
import { ErrorCodes, PdmError } from '../errors.ts';

export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  /**
   * Runs `fn` when a slot is free; with `shed`, refuses (503) instead of waiting past `queue`;
   * with `signal`, gives up its place (rejecting, `fn` never run) when the signal aborts first.
   */
  async run<T>(fn: () => Promise<T>, shed: boolean, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw clientGone();
    if (this.running < this.concurrency) this.running++;
    else {
      if (shed && this.waiting.length >= this.queue)
        throw new PdmError(
          ErrorCodes.SCORING_BUSY,
          `busy: ${this.running} scores at past instants are reading their windows and ${this.waiting.length} wait; retry shortly`,
          {
            detail: {
              status: 503,
              retryAfter: 1,
              hint: 'scores for now (no `at`) are served from live windows and are not held back by this',
            },
          },
        );
      // The slot is handed over by the run that finishes (running stays counted).
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.waiting.indexOf(take);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(clientGone());
        };
        const take = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(take);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/** The error of a score whose client closed the connection first (499: not a server error). */
export function clientGone(): PdmError {
  return new PdmError(ErrorCodes.CLIENT_GONE, 'the client closed the connection before its score started', {
    // nginx's "client closed request": nobody reads it, and it is not a server error.
    detail: { status: 499 },
  });
}

const gates = new WeakMap<object, Gate>();

/** The gate of one store (shared by every scorer on it, across model reloads). */
export function storedWindowGate(store: object): Gate {
  let g = gates.get(store);
  if (g === undefined) {
    g = new Gate(2, 32);
    gates.set(store, g);
  }
  return g;
}
