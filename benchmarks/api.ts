/**
 * POST /v1/score under load, beside a bare fastify route (schema-validated body, constant answer)
 * measured in the same run. Every equipment of the plant is scored in turn, each connection a
 * client with its own key, the rate limiters at their defaults (as deployed). Phases: maximum
 * throughput of both routes; the score route held at a fixed rate (default 2,000 requests/s for
 * 30 s) for its latency, live (no `at`: the live windows); the bare route at that rate; then scores
 * at instants of the past (each reads its day of readings from QuestDB: the uncached path), at
 * maximum and held, reported apart with answers by status. QuestDB runs beside it (started here,
 * in a temporary directory) with a simulated plant and models trained on it; the load generator
 * (benchmarks/cannon.ts: autocannon at the maximum, an evenly paced open loop at a held rate, after
 * 3 s at that rate untimed) runs in a process of its own.
 *
 * --retrain adds the deployment of `npm start` (the API and the jobs in one process, here this
 * one): the score route held at the rate with no job running, and held while the nightly retrain
 * job runs back to back (in its own process; --retrain-in-process runs it on the API's thread, as
 * at first, to compare), in slices taking turns (--rounds), with each condition's event-loop delay.
 *
 *   npm run bench:api [-- --rate 2000 --duration 30 --equipment 8 --days 3 --sample-seconds 1 --trees 100]
 *   npm run bench:api -- --retrain [--retrain-in-process] [--retrain-only] [--rounds 3]
 *
 * Last line: {"score_rps","score_p50_ms","score_p99_ms","bare_rps","errors",...}
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tuneForServing } from '../bin/serving.js';
import { bareApp } from './bare-route.ts';
import { loopLateness } from './loop-delay.ts';
import { benchEnv, cannon, plantWithModels, serveChild } from './load.ts';
import type { Load } from './load.ts';
import { Rng } from '../src/sim/rng.ts';
import { buildApp } from '../src/api/app.ts';
import { KeyStore } from '../src/api/keys.ts';
import { loadConfig } from '../src/config.ts';
import { LiveScorer } from '../src/scoring/scorer.ts';
import { startEngineJobs } from '../src/jobs/index.ts';
import type { ModelRegistry } from '../models/index.ts';
import type { Plant } from '../src/plant/index.ts';
import type { Store } from '../src/store/index.ts';
import { QuestDbSink, simulate } from '../src/sim/index.ts';
import { connectStore } from '../src/store/index.ts';
import { freePort } from '../tests/helpers/ports.ts';

// This process serves the API itself with --server inline and in the retrain phases (the
// deployment of `npm start`): with the V8 settings `pdm serve` and `npm start` run with.
tuneForServing();

const { values: o } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '30' },
    equipment: { type: 'string', default: '8' },
    days: { type: 'string', default: '3' },
    'sample-seconds': { type: 'string', default: '1' },
    trees: { type: 'string', default: '100' },
    connections: { type: 'string', default: '32' },
    profile: { type: 'string' },
    live: { type: 'boolean', default: false },
    retrain: { type: 'boolean', default: false },
    // Only the retrain phases (the others skipped).
    'retrain-only': { type: 'boolean', default: false },
    'retrain-in-process': { type: 'boolean', default: false },
    // The retrain phases' slices: each condition's --duration split into this many, taking turns.
    rounds: { type: 'string', default: '3' },
    // process: `pdm serve` and the bare route each in a process of their own, as deployed;
    // inline: both in this process (for --profile and the event-loop and GC figures).
    server: { type: 'string', default: 'process' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
/** Answers that are neither 200 nor the limiters' 429. */
const failures = (l: Load) =>
  Object.entries(l.status ?? {}).reduce((n, [code, c]) => n + (code === '200' || code === '429' ? 0 : c), 0);
const CONNECTIONS = Number(o.connections);
const load = (
  url: string,
  bodies: string[],
  keys: string[],
  seconds: number,
  rate?: number,
  latencies = false,
) =>
  cannon({
    url,
    bodies,
    keys,
    connections: CONNECTIONS,
    seconds,
    ...(rate === undefined ? {} : { rate }),
    ...(latencies ? { latencies } : {}),
  });
/**
 * A held phase: 3 s at the rate, not timed, then the timed phase, the same for every route. The
 * steady state is what is held: the first second after a change (the plant catching up and
 * starting to stream, a phase at the maximum rate before) is not.
 */
const held = async (url: string, bodies: string[], keys: string[], seconds: number, rate: number) => {
  await load(url, bodies, keys, 3, rate);
  return load(url, bodies, keys, seconds, rate);
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-api-'));
// The rate limiters at their defaults, as deployed: each connection is a client with its own key.
const env = await benchEnv(dir);
const config = loadConfig(env);
const store = await connectStore(config, { onLog: (l) => console.error(l) });
try {
  const days = Number(o.days);
  const { registry, start, plant } = await plantWithModels(store, config.modelsDir, {
    equipment: Number(o.equipment),
    days,
    sampleSeconds: Number(o['sample-seconds']),
    trees: Number(o.trees),
  });
  const keys = new KeyStore(config.api.keysFile);
  const clientKeys = Array.from({ length: CONNECTIONS }, () => keys.create('mes').key);
  // Every equipment in turn, live (its live window); and every equipment at instants of its past
  // (each a window read from QuestDB: the uncached path).
  const ids = plant.equipment.map((e) => e.id);
  const live = ids.map((equipment) => JSON.stringify({ equipment }));
  if (o['retrain-only'] === true) {
    const retrain = await retrainPhases(store, registry, plant, keys, live, clientKeys);
    console.log(
      JSON.stringify({
        retrain,
        equipment: ids.length,
        client_keys: clientKeys.length,
        trees: Number(o.trees),
      }),
    );
  } else {
    const inline = o.server === 'inline';
    let scoreUrl: string;
    let bareUrl: string;
    const stops: (() => Promise<unknown>)[] = [];
    if (inline) {
      const app = await buildApp({
        store,
        registry,
        scorer: new LiveScorer(store, registry, plant),
        keys,
      });
      scoreUrl = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1/score`;
      const bare = bareApp();
      bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/v1/score`;
      stops.push(
        () => app.close(),
        () => bare.close(),
      );
    } else {
      const port = await freePort();
      scoreUrl = `${await serveChild([path.resolve(here, '../bin/pdm.js'), 'serve'], { ...env, PDM_API_PORT: String(port) }, stops)}/v1/score`;
      bareUrl = `${await serveChild(['--import', 'tsx', path.resolve(here, 'bare-server.ts'), String(await freePort())], env, stops)}/v1/score`;
    }

    // Instants of every equipment's past: each a window read from QuestDB (the uncached path).
    const end = start + days * 86400;
    const pastRng = new Rng(11, 'bench-api-at');
    const past = Array.from({ length: 4096 }, (_, i) =>
      JSON.stringify({
        equipment: ids[i % ids.length],
        at: new Date(Math.round(pastRng.uniform(start + 86400, end - 600)) * 1000).toISOString(),
      }),
    );
    console.error('warming up...');
    await load(scoreUrl, live, clientKeys, 3);
    console.error('bare route, maximum rate (10 s)...');
    const bareMax = await load(bareUrl, live, clientKeys, 10);
    console.error('score route, maximum rate (10 s), live...');
    const scoreMax = await load(scoreUrl, live, clientKeys, 10);
    // --live: the plant keeps streaming (one reading a second per machine) while the rate is held,
    // so the scored equipment gets new readings and its features are recomputed every second.
    const streaming = new AbortController();
    let stream: Promise<unknown> = Promise.resolve();
    if (o.live === true) {
      console.error('replaying the plant to now, then streaming...');
      const liveSink = await QuestDbSink.open(store.config, store.tables);
      let isLive: () => void = () => {};
      const caughtUp = new Promise<void>((resolve) => (isLive = resolve));
      stream = simulate(liveSink, {
        equipment: Number(o.equipment),
        days: 0,
        seed: 3,
        start,
        replayUntil: start + days * 86400,
        live: true,
        signal: streaming.signal,
        sampleSeconds: Number(o['sample-seconds']),
        onLive: () => isLive(),
      }).finally(() => liveSink.close());
      await caughtUp;
      await new Promise((r) => setTimeout(r, 3000)); // let the first live readings land
    }
    console.error(
      `score route at ${o.rate} requests/s for ${o.duration} s${o.live ? ', plant streaming' : ''}...`,
    );
    // How late the server's event loop ran while held: its stalls are what the p99 is made of.
    const loop = loopLateness();
    const session = o.profile === undefined ? undefined : new Session();
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    let gcMax = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    loop.enable();
    const heldLive = await held(scoreUrl, live, clientKeys, Number(o.duration), Number(o.rate));
    loop.disable();
    gcObserver.disconnect();
    // With the plant streaming, the bare route too while it streams: how much of the tail is the
    // machine (QuestDB taking the stream, the simulator, the load generator on the same cores).
    let bareHeldLive: Load | undefined;
    if (o.live === true) {
      console.error(`bare route at ${o.rate} requests/s for ${o.duration} s, plant streaming...`);
      bareHeldLive = await held(bareUrl, live, clientKeys, Number(o.duration), Number(o.rate));
    }
    streaming.abort();
    await stream.catch(() => {});
    if (session && o.profile !== undefined) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(o.profile, JSON.stringify(profile));
      session.disconnect();
    }
    // The same held rate on the bare route: how much of the tail is the load generator and the machine.
    console.error(`bare route at ${o.rate} requests/s for ${o.duration} s...`);
    const bareHeld = await held(bareUrl, live, clientKeys, Number(o.duration), Number(o.rate));
    // Instants of the past last: each reads a day of readings from QuestDB, and the backlog a burst
    // of them leaves (the gate's queue) would otherwise weigh on the phases after it.
    console.error('score route, maximum rate (10 s), instants of the past...');
    const pastMax = await load(scoreUrl, past, clientKeys, 10);
    console.error(`score route at ${o.rate} requests/s for ${o.duration} s, instants of the past...`);
    const pastHeld = await load(scoreUrl, past, clientKeys, Number(o.duration), Number(o.rate));
    for (const stop of stops) await stop();
    const retrain =
      o.retrain === true ? await retrainPhases(store, registry, plant, keys, live, clientKeys) : undefined;
    const result = {
      score_rps: scoreMax.rps,
      score_p50_ms: scoreMax.p50,
      score_p99_ms: scoreMax.p99,
      bare_rps: bareMax.rps,
      bare_p99_ms: bareMax.p99,
      // Errors are failed connections and answers other than 200 and 429 (the limiters' answer).
      errors: [scoreMax, pastMax, heldLive, pastHeld].reduce((n, l) => n + l.errors + failures(l), 0),
      limited_429: [scoreMax, pastMax, heldLive, pastHeld].reduce((n, l) => n + (l.status?.['429'] ?? 0), 0),
      max_ratio_vs_bare: Math.round((scoreMax.rps / bareMax.rps) * 1000) / 1000,
      past_rps: pastMax.rps,
      past_p99_ms: pastMax.p99,
      held_rate: Number(o.rate),
      held_rps: heldLive.rps,
      held_p50_ms: heldLive.p50,
      held_p99_ms: heldLive.p99,
      held_p999_ms: heldLive.p999,
      held_max_ms: heldLive.max,
      // Requests of the held phase that found all connections busy (the server behind the rate).
      held_waited_for_connection: heldLive.waited_for_connection,
      held_send_lag_p99_ms: heldLive.send_lag_p99_ms,
      held_requests: heldLive.requests,
      held_past_rps: pastHeld.rps,
      held_past_p50_ms: pastHeld.p50,
      held_past_p99_ms: pastHeld.p99,
      // The open loop at the held rate: what a server answering a dozen a second left unanswered.
      held_past_unanswered: pastHeld.unanswered,
      // Answers by HTTP status per phase (503: the store's connection pool was exhausted).
      status: {
        max_live: scoreMax.status,
        max_past: pastMax.status,
        held_live: heldLive.status,
        held_past: pastHeld.status,
      },
      bare_held_p50_ms: bareHeld.p50,
      bare_held_p99_ms: bareHeld.p99,
      bare_held_max_ms: bareHeld.max,
      ...(bareHeldLive === undefined
        ? {}
        : { bare_held_streaming_p50_ms: bareHeldLive.p50, bare_held_streaming_p99_ms: bareHeldLive.p99 }),
      server: inline ? 'inline' : 'process',
      ...(inline
        ? {
            held_loop_late_p99_ms: loop.percentileMs(99),
            held_loop_late_max_ms: loop.maxMs(),
            held_gc_pause_max_ms: Math.round(gcMax * 100) / 100,
          }
        : {}),
      equipment: ids.length,
      client_keys: clientKeys.length,
      sample_seconds: Number(o['sample-seconds']),
      live: o.live === true,
      trees: Number(o.trees),
      ...(retrain === undefined ? {} : { retrain }),
    };
    console.log(JSON.stringify(result));
  }
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The score route held at the rate by the API and jobs of one process (as `npm start` runs them):
 * with no job running, and while the retrain job runs back to back, each for --duration seconds in
 * --rounds slices that take turns (quiet, retrain; retrain, quiet; ...). Reports each condition's
 * p99 over all of its answers (and each slice's), their ratio (target <= 1.5), each condition's
 * event-loop delay, and how many retrains ran and how they ended.
 */
async function retrainPhases(
  store: Store,
  registry: ModelRegistry,
  plant: Plant,
  keys: KeyStore,
  bodies: string[],
  clientKeys: string[],
) {
  const scorer = new LiveScorer(store, registry, plant);
  const jobs = await startEngineJobs({
    store,
    registry,
    scorer,
    trees: Number(o.trees),
    schedule: false,
    retrainInProcess: o['retrain-in-process'] === true,
  });
  const app = await buildApp({ store, registry, scorer, keys, jobs });
  try {
    const url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/v1/score`;
    // Each condition (no job running; the retrain running) gathers its answers' latencies over all
    // of its slices, and each slice's event-loop delay (a histogram of its own: one enabled again
    // counts the pause between slices as a delay).
    const condition = () => {
      const loopP99: number[] = [];
      let loopMax = 0;
      let gcMax = 0;
      let gcTotal = 0;
      let gcOver5 = 0;
      const latencies: number[] = [];
      const status: Record<string, number> = {};
      const slices: number[] = [];
      let seconds = 0;
      return {
        async slice(s: number) {
          const loop = loopLateness();
          const gcs = new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              gcMax = Math.max(gcMax, e.duration);
              gcTotal += e.duration;
              if (e.duration > 5) gcOver5++;
            }
          });
          gcs.observe({ entryTypes: ['gc'] });
          loop.enable();
          const l = await load(url, bodies, clientKeys, s, Number(o.rate), true);
          loop.disable();
          gcs.disconnect();
          loopP99.push(loop.percentileMs(99));
          loopMax = Math.max(loopMax, loop.maxMs());
          for (const v of l.latencies_ms ?? []) latencies.push(v);
          for (const [code, n] of Object.entries(l.status ?? {})) status[code] = (status[code] ?? 0) + n;
          slices.push(l.p99);
          seconds += s;
        },
        summary() {
          latencies.sort((a, b) => a - b);
          const q = (p: number) =>
            latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
          return {
            seconds,
            rps: Math.round(latencies.length / seconds),
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            slice_p99_ms: slices,
            status,
            slice_loop_late_p99_ms: loopP99,
            loop_late_max_ms: loopMax,
            // This process's garbage collections (the API's): the longest, their sum, how many > 5 ms.
            gc_max_ms: Math.round(gcMax * 100) / 100,
            gc_total_ms: Math.round(gcTotal),
            gc_over_5ms: gcOver5,
          };
        },
      };
    };
    // Each equipment's live window (a day of readings) is loaded by its first score: one at a time
    // first, so that neither phase pays for it.
    console.error('API and jobs in one process: loading each live window, warming up...');
    for (const body of bodies)
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${clientKeys[0]}` },
        body,
      });
    await load(url, bodies, clientKeys, 3);
    // A first retrain (untimed, like any warm-up; it also trains what is still missing).
    console.error('... a first retrain (warm-up)...');
    const t1 = performance.now();
    const first = await jobs.scheduler.runNow('retrain');
    const firstSeconds = (performance.now() - t1) / 1000;
    const seconds = Number(o.duration);
    const rounds = Math.max(1, Math.round(Number(o.rounds)));
    const slice = seconds / rounds;
    // The retrain reloaded the scorer (new compiled forests): warmed up again at the held rate.
    await load(url, bodies, clientKeys, 5, Number(o.rate));
    // One retrain lasts a few seconds on this plant: while the retrain's slices run it runs again
    // as soon as it ends, so that the whole slice runs beside a retrain. The two conditions take
    // turns in slices (quiet, retrain; retrain, quiet; ...): a VM whose speed drifts over the run
    // weighs on both alike, where one phase each compared two different minutes.
    let running: Promise<void> | undefined;
    let stopRetrains = false;
    const statuses: string[] = [];
    const retrainsOn = () => {
      stopRetrains = false;
      running ??= (async () => {
        while (!stopRetrains) statuses.push((await jobs.scheduler.runNow('retrain')).status);
      })();
    };
    const retrainsOff = async () => {
      stopRetrains = true;
      await running;
      running = undefined;
    };
    const quiet = condition();
    const during = condition();
    console.error(
      `API and jobs in one process: score route at ${o.rate} requests/s, ${seconds} s with no job running and ` +
        `${seconds} s while the retrain job runs back to back (${o['retrain-in-process'] ? 'on the API thread' : 'off the API thread'}), ` +
        `in ${rounds} rounds of ${slice} s each, the order alternating...`,
    );
    for (let r = 0; r < rounds; r++) {
      for (const busy of r % 2 === 0 ? [false, true] : [true, false]) {
        if (busy) retrainsOn();
        else await retrainsOff();
        await (busy ? during : quiet).slice(slice);
      }
    }
    await retrainsOff();
    const q = quiet.summary();
    const d = during.summary();
    return {
      in_process: o['retrain-in-process'] === true,
      rounds,
      quiet: q,
      during: d,
      p99_ratio: Math.round((d.p99_ms / q.p99_ms) * 100) / 100,
      first_retrain_status: first.status,
      first_retrain_s: Math.round(firstSeconds * 10) / 10,
      retrains_during: statuses.length,
      retrain_statuses: [...new Set(statuses)],
    };
  } finally {
    await jobs.stop();
    await app.close();
  }
}
