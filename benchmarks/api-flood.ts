/**
 * POST /v1/score held at a fixed rate with a valid MES key (default 1,000 requests/s for 20 s)
 * while another client sends made-up keys (default 200 a second, each one new), against the same
 * rate held with no flood, in one run. The server is `pdm serve` in a process of its own with the
 * rate limits at their defaults, as deployed; the load generator (benchmarks/cannon.ts: paced
 * evenly, open loop) and the flood client are processes of their own too. Two floods are measured:
 *   - from one address (the per-address budget of failed checks answers it with 429 after 60);
 *   - with the budget lifted (PDM_API_AUTH_FAILURES=1000000), as a flood spread over many
 *     addresses would be: every made-up key is checked, off the event loop, bounded.
 * Target: the score route's p99 under either flood within 2x of the p99 without it.
 *
 *   npm run bench:api-flood [-- --rate 1000 --flood 200 --duration 20 --equipment 4 --days 4 --trees 50]
 *
 * Last line: {"p99_ms_alone","p99_ms_flood_one_address","p99_ms_flood_unlimited","ratio_one_address","ratio_unlimited",...}
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KeyStore } from '../src/api/keys.ts';
import { loadConfig } from '../src/config.ts';
import { connectStore } from '../src/store/index.ts';
import { freePort } from '../tests/helpers/ports.ts';
import { benchEnv, cannon, plantWithModels, serveChild } from './load.ts';
import type { Load } from './load.ts';

const { values: o } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    flood: { type: 'string', default: '200' },
    duration: { type: 'string', default: '20' },
    equipment: { type: 'string', default: '4' },
    days: { type: 'string', default: '4' },
    trees: { type: 'string', default: '50' },
    connections: { type: 'string', default: '16' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));

/** The flood client: `rate` requests a second, each with a key never seen before. */
const FLOOD_CLIENT = `
const http = require('node:http');
const crypto = require('node:crypto');
const [url, rate, seconds] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const counts = {};
let sent = 0;
const t0 = Date.now();
const timer = setInterval(() => {
  const due = Math.floor(((Date.now() - t0) / 1000) * rate);
  for (; sent < due; sent++) {
    const key = 'pdm_' + crypto.randomBytes(6).toString('hex') + '_' + crypto.randomBytes(24).toString('base64url');
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' } }, (res) => {
      counts[res.statusCode] = (counts[res.statusCode] || 0) + 1;
      res.resume();
    });
    req.on('error', () => (counts.error = (counts.error || 0) + 1));
    req.end('{"equipment":"cnc-001"}');
  }
  if (Date.now() - t0 >= seconds * 1000) {
    clearInterval(timer);
    setTimeout(() => { console.log(JSON.stringify({ sent, counts })); process.exit(0); }, 1500);
  }
}, 5);
`;

function flood(
  url: string,
  seconds: number,
): { done: Promise<{ sent: number; counts: Record<string, number> }> } {
  const child = spawn(process.execPath, ['-e', FLOOD_CLIENT, url, o.flood!, String(seconds)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    done: new Promise((resolve, reject) =>
      child.on('close', () => {
        try {
          resolve(
            JSON.parse(out.trim().split('\n').at(-1) ?? '') as {
              sent: number;
              counts: Record<string, number>;
            },
          );
        } catch (err) {
          reject(new Error(`flood client gave no summary: ${out.slice(0, 200)} (${String(err)})`));
        }
      }),
    ),
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-flood-'));
const env = await benchEnv(dir, { PDM_LOG_LEVEL: 'error' });
const config = loadConfig(env);
const store = await connectStore(config, { onLog: (l) => console.error(l) });
const stops: (() => Promise<unknown>)[] = [];
try {
  await plantWithModels(store, config.modelsDir, {
    equipment: Number(o.equipment),
    days: Number(o.days),
    sampleSeconds: 30,
    trees: Number(o.trees),
  });
  const key = new KeyStore(config.api.keysFile).create('mes').key;
  const body = JSON.stringify({ equipment: 'cnc-001' });
  const seconds = Number(o.duration);
  const rate = Number(o.rate);
  const connections = Number(o.connections);
  const serve = async (extra: Record<string, string>) =>
    `${await serveChild([path.resolve(here, '../bin/pdm.js'), 'serve'], { ...env, ...extra, PDM_API_PORT: String(await freePort()) }, stops)}/v1/score`;

  const measure = async (label: string, url: string, withFlood: boolean) => {
    await cannon({ url, bodies: [body], keys: [key], connections, seconds: 5, rate }); // warm-up, same for every case
    console.error(
      `${label}: ${rate} requests/s for ${seconds} s${withFlood ? `, ${o.flood} made-up keys/s beside` : ''}...`,
    );
    const f = withFlood ? flood(url, seconds) : undefined;
    const held: Load = await cannon({ url, bodies: [body], keys: [key], connections, seconds, rate });
    return { held, flood: f ? await f.done : null };
  };

  // Default limits, as deployed (one address: the failed-check budget applies).
  const deployed = await serve({});
  const alone = await measure('no flood', deployed, false);
  const oneAddress = await measure('flood from one address', deployed, true);
  // The failed-check budget lifted: every made-up key reaches scrypt.
  const open = await serve({ PDM_API_AUTH_FAILURES: '1000000' });
  const aloneOpen = await measure('no flood (budget lifted)', open, false);
  const unlimited = await measure('flood, budget lifted', open, true);

  const ratio = (a: Load, b: Load) => Math.round((a.p99 / Math.max(b.p99, 0.001)) * 100) / 100;
  const result = {
    held_rate: rate,
    flood_rate: Number(o.flood),
    duration_s: seconds,
    p99_ms_alone: alone.held.p99,
    p99_ms_flood_one_address: oneAddress.held.p99,
    ratio_one_address: ratio(oneAddress.held, alone.held),
    p99_ms_alone_budget_lifted: aloneOpen.held.p99,
    p99_ms_flood_unlimited: unlimited.held.p99,
    ratio_unlimited: ratio(unlimited.held, aloneOpen.held),
    score_rps: { alone: alone.held.rps, one_address: oneAddress.held.rps, unlimited: unlimited.held.rps },
    score_non2xx: {
      alone: alone.held.non2xx,
      one_address: oneAddress.held.non2xx,
      unlimited: unlimited.held.non2xx,
    },
    // The score route's answers by HTTP status (429: a limiter; 503: the store's pool busy).
    score_status: {
      alone: alone.held.status,
      one_address: oneAddress.held.status,
      unlimited: unlimited.held.status,
    },
    flood_answers: { one_address: oneAddress.flood?.counts, unlimited: unlimited.flood?.counts },
    target_ratio: 2,
    host: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, node ${process.version}`,
  };
  console.error(
    `p99 ${alone.held.p99} ms alone; ${oneAddress.held.p99} ms under a flood from one address (x${result.ratio_one_address}); ` +
      `${unlimited.held.p99} ms under a flood with the budget lifted (x${result.ratio_unlimited}, alone ${aloneOpen.held.p99} ms); target within 2x`,
  );
  console.log(JSON.stringify(result));
} finally {
  for (const s of stops) await s().catch(() => {});
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
