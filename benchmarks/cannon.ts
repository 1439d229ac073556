/**
 * One load run in a process of its own (so the load generator never shares the server's event
 * loop): at a held rate, the paced open-loop generator of paced.ts; at the maximum, autocannon,
 * driven programmatically. Either way every request body of a list is sent in turn (all
 * equipment, or instants of the past) and every connection is a client with its own API key, as
 * an MES deployment has. Reads its spec from the JSON file named by argv[2]; prints one
 * JSON summary.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { paced } from './paced.ts';

export interface CannonSpec {
  url: string;
  bodies: string[];
  keys: string[];
  connections: number;
  seconds: number;
  /**
   * Requests per second over all connections, paced evenly (benchmarks/paced.ts); none: as fast as
   * the server answers (autocannon, closed loop).
   */
  rate?: number;
  /** Held rates only: return every answer's latency too (`latencies_ms`). */
  latencies?: boolean;
}

const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as CannonSpec;
if (spec.rate !== undefined) {
  // A held rate: paced evenly, open loop (benchmarks/paced.ts says why not autocannon's rate).
  console.log(JSON.stringify(await paced({ ...spec, rate: spec.rate })));
} else {
  let nextBody = 0;
  let nextKey = 0;
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    connections: spec.connections,
    duration: spec.seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
          context.key ??= spec.keys[nextKey++ % spec.keys.length];
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${String(context.key)}` },
            body: spec.bodies[nextBody++ % spec.bodies.length],
          };
        },
      },
    ],
  });
  const codes = result.statusCodeStats ?? {};
  console.log(
    JSON.stringify({
      rps: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors,
      non2xx: result.non2xx,
      requests: result.requests.total,
      status: Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, v.count])),
    }),
  );
}
