/**
 * An open-loop load at a held rate: request k is due at start + k / rate, evenly spaced, whatever
 * the answers before it did; it goes out on the first idle keep-alive connection (one request in
 * flight per connection, each connection a client with its own key), or waits for one. Its latency
 * runs from when it was due to the end of its answer, so time spent waiting for a connection (the
 * server slower than the rate) counts, as an MES sending on schedule would see it.
 *
 * Why not autocannon's `overallRate`: it gives each connection a quota per second, refilled by a
 * one-second interval, so a connection sends its quota back to back as soon as the second starts
 * and then waits: "2,000 requests a second" came as a burst at each second's start, answered at
 * the server's maximum speed, then ~0.5 s of silence (measured in the score server: arrivals
 * stopped for 376-607 ms every second). And its coordinated-omission correction takes
 * `Math.ceil(1 / rate)` (a rate per second read as an interval in ms: 1 ms) as the expected
 * interval, so an answer of 150 ms is recorded as 150 answers of 150, 149, ... 1 ms: a few slow
 * answers filled the p99.
 *
 * Plain HTTP/1.1 over `net` sockets: the request bytes written once per request, the answer read to
 * its Content-Length (fastify always sends one for these routes; an answer without one is counted
 * as an error).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface PacedSpec {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly keys: readonly string[];
  readonly connections: number;
  readonly seconds: number;
  readonly rate: number;
  /** Also return every answer's latency (ms), for phases pooled by the caller. */
  readonly latencies?: boolean;
}

export interface PacedResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Requests that failed: the connection closed under them, or an answer without a length. */
  errors: number;
  /**
   * Requests still waiting for a connection or an answer 10 s after the last was due: a server
   * slower than the rate (scores at instants of the past answer a dozen a second).
   */
  unanswered: number;
  non2xx: number;
  requests: number;
  status: Record<string, number>;
  /** Requests that found every connection busy and waited for one. */
  waited_for_connection: number;
  /** Answers with no request in flight (e.g. a 408 on an idle connection), not counted above. */
  unsolicited: number;
  /** How late requests went out against when they were due (the generator's own lag and the waits): p99, ms. */
  send_lag_p99_ms: number;
  /** Every answer's latency in ms (0.01 ms steps), ascending: with `latencies` in the spec only. */
  latencies_ms?: number[];
}

const HEADER_END = Buffer.from('\r\n\r\n');
const round = (x: number) => Math.round(x * 100) / 100;

function quantile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

class Conn {
  sock: net.Socket;
  /** Answers that came with no request in flight (a server's 408 on an idle connection). */
  unsolicited = 0;
  /** The answer's bytes so far. */
  private got: Buffer | undefined;
  /** When the request in flight was due (undefined: idle). */
  due: number | undefined;
  constructor(
    private readonly host: string,
    private readonly port: number,
    readonly key: string,
    private readonly done: (c: Conn, status: number | undefined) => void,
  ) {
    this.sock = this.connect();
  }

  private connect(): net.Socket {
    const s = net.connect({ host: this.host, port: this.port, noDelay: true });
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', () => {});
    return s;
  }

  /** A new connection in place of one the server closed (writes wait for it to connect). */
  reconnect(): void {
    this.sock = this.connect();
  }

  send(bytes: string, due: number): void {
    this.due = due;
    this.got = undefined;
    this.sock.write(bytes);
  }

  private onData(d: Buffer): void {
    if (this.due === undefined) {
      this.unsolicited++;
      return;
    }
    const all = this.got === undefined ? d : Buffer.concat([this.got, d]);
    this.got = all;
    const end = all.indexOf(HEADER_END);
    if (end < 0) return;
    const head = all.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (m !== null && all.length < end + 4 + Number(m[1])) return;
    this.got = undefined;
    this.done(this, m === null ? undefined : status);
  }
}

export function paced(spec: PacedSpec): Promise<PacedResult> {
  const url = new URL(spec.url);
  const host = url.hostname;
  const port = Number(url.port);
  const path = url.pathname + url.search;
  const interval = 1000 / spec.rate;
  const total = Math.round(spec.rate * spec.seconds);
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  let answered = 0;
  let sent = 0;
  let errors = 0;
  let non2xx = 0;
  let waited = 0;
  let nextBody = 0;
  const status: Record<string, number> = {};
  // Idle connections, first in first out: every connection takes its turn, as a client fleet
  // would, instead of a few carrying the load while the rest sit idle into the server's timeouts.
  const idle: Conn[] = [];
  const queue: number[] = []; // due times of requests waiting for a connection
  let finished: (() => void) | undefined;
  let stopped = false;

  const request = (c: Conn): string => {
    const body = spec.bodies[nextBody++ % spec.bodies.length] as string;
    return (
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${c.key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
  };
  const dispatch = (c: Conn, due: number): void => {
    lags[sent++] = performance.now() - due;
    c.send(request(c), due);
  };
  /** A connection free again: the oldest waiting request takes it, else it joins the idle ones. */
  const release = (c: Conn): void => {
    c.due = undefined;
    const next = queue.shift();
    if (next !== undefined) dispatch(c, next);
    else idle.push(c);
    if (answered + errors === total) finished?.();
  };
  const onDone = (c: Conn, code: number | undefined): void => {
    if (code === undefined) errors++;
    else {
      latencies[answered++] = performance.now() - (c.due as number);
      status[code] = (status[code] ?? 0) + 1;
      if (code < 200 || code >= 300) non2xx++;
    }
    release(c);
  };
  const conns = Array.from(
    { length: spec.connections },
    (_, i) => new Conn(host, port, spec.keys[i % spec.keys.length] as string, onDone),
  );
  const watch = (c: Conn): void => {
    c.sock.once('close', () => {
      if (stopped) return;
      // A connection the server closed: its request in flight is an error, and a new connection
      // takes its place.
      const inFlight = c.due !== undefined;
      c.reconnect();
      watch(c);
      if (inFlight) {
        errors++;
        release(c);
      }
    });
  };
  conns.forEach(watch);

  const connected = (c: Conn) =>
    new Promise((resolve, reject) => {
      c.sock.once('connect', resolve);
      c.sock.once('error', reject);
    });
  return Promise.all(conns.map(connected)).then(
    () =>
      new Promise<PacedResult>((resolve) => {
        idle.push(...conns);
        const start = performance.now();
        let k = 0;
        const tick = (): void => {
          const now = performance.now();
          while (k < total && start + k * interval <= now) {
            const due = start + k * interval;
            k++;
            const c = idle.shift();
            if (c === undefined) {
              waited++;
              queue.push(due);
            } else dispatch(c, due);
          }
          if (k < total) setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
        };
        tick();
        const summary = (): void => {
          if (stopped) return;
          stopped = true;
          clearTimeout(grace);
          for (const c of conns) c.sock.destroy();
          const lat = latencies.subarray(0, answered).sort();
          const lag = lags.subarray(0, sent).sort();
          resolve({
            rps: Math.round(answered / spec.seconds),
            p50: round(quantile(lat, 0.5)),
            p99: round(quantile(lat, 0.99)),
            p999: round(quantile(lat, 0.999)),
            max: round(lat.length === 0 ? NaN : (lat[lat.length - 1] as number)),
            errors,
            unanswered: total - answered - errors,
            non2xx,
            requests: answered,
            status,
            waited_for_connection: waited,
            unsolicited: conns.reduce((n, c) => n + c.unsolicited, 0),
            send_lag_p99_ms: round(quantile(lag, 0.99)),
            ...(spec.latencies === true ? { latencies_ms: Array.from(lat, round) } : {}),
          });
        };
        // Every request answered or failed, or 10 s after the last was due: what is still out is
        // unanswered.
        const grace = setTimeout(summary, spec.seconds * 1000 + 10_000);
        finished = summary;
      }),
  );
}
