/**
 * `npm start`: the main job. Brings up the store (the managed QuestDB unless one is configured),
 * applies migrations, loads the data the engine works on if the database is empty (C-MAPSS and a
 * simulated plant's history), trains and promotes first models if none is registered, starts the
 * API (printing an admin key on first start) and the scheduled jobs, streams live simulated
 * telemetry and MES events, prints where to look, and runs until Ctrl-C, when it stops what it
 * started.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelRegistry } from '../models/index.ts';
import {
  backtestDrift,
  describeScope,
  ensureInitialModels,
  modelScopes,
  storedHistory,
  historyWindow,
} from '../pipelines/index.ts';
import type { FailureBacktest, Gate, InitialModels } from '../pipelines/index.ts';
import { buildApp } from './api/app.ts';
import { KeyStore } from './api/keys.ts';
import { handleStopSignals } from './jobs/shutdown.ts';
import { applyPlant, currentPlant } from './plant/index.ts';
import { progressBar } from './cli/output.ts';
import { jobLogging, startEngineJobs } from './jobs/index.ts';
import type { EngineJobs } from './jobs/index.ts';
import { LiveScorer } from './scoring/scorer.ts';
import { loadConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import { dataFile, ingestFile } from './ingest/index.ts';
import {
  PublishingSink,
  QuestDbSink,
  SIMULATED_PLANT_FILE,
  SparkplugPublisher,
  readPlantState,
  simulate,
  simulatedPlant,
  writePlantState,
} from './sim/index.ts';
import type { PlantState, SimSink } from './sim/index.ts';
import { MqttSource, OpcUaSource } from './sources/index.ts';
import { connectStore, httpUrlOf, parseTimestampMicros, query, sql, waitForWal } from './store/index.ts';
import type { Store } from './store/index.ts';

async function rowCount(store: Store, table: string): Promise<number> {
  const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/** Loads the C-MAPSS run-to-failure files when the table is empty (first start). */
async function loadCmapss(store: Store): Promise<void> {
  if ((await rowCount(store, store.tables.cmapss)) > 0) {
    console.log(`C-MAPSS data already loaded in ${store.tables.cmapss}`);
    return;
  }
  for (const name of ['train_FD001.txt', 'test_FD001.txt']) {
    const file = dataFile(path.join(store.config.dataDir, 'cmapss'), name);
    if (!existsSync(file)) {
      console.log(`(${file} not found: skipping C-MAPSS)`);
      return;
    }
    const bar = progressBar(`loading ${name}`);
    const s = await ingestFile(store.config, store.tables, file, {
      onProgress: (p) => bar.update(p.bytesRead, p.bytesTotal, `${p.accepted.toLocaleString('en')} rows`),
    });
    bar.end();
    console.log(`${name}: ${s.accepted} rows into ${s.table} (${s.rejected} rejected) in ${s.duration_s} s`);
  }
  await waitForWal(store.pool, store.tables, store.tables.cmapss);
}

/** Size of the plant `npm start` simulates on an empty database (see the README for the time it takes). */
const PLANT = { equipment: 12, days: 7, seed: 1 };

/**
 * Runs the simulated plant through the engine's ingestion path: on an empty database, a backfill of
 * PLANT.days with a progress bar, then a live stream; on a later start, the machines' state is
 * rebuilt (from the state saved at the last hour the stored history reached, else by a silent
 * replay of that history: same seed and start, so the same machines in the same state) and the
 * stream continues, catching up on the time the engine was down. Resolves `ready` when live.
 */
async function runPlant(
  store: Store,
  signal: AbortSignal,
  ready: () => void,
  publishTo?: { url: string; group: string },
): Promise<void> {
  const { rows } = await query<{ first: string | null; last: string | null }>(
    store.pool,
    sql('plant_span', store.tables),
  );
  const first = parseTimestampMicros(rows[0]?.first ?? null);
  const last = parseTimestampMicros(rows[0]?.last ?? null);
  const resuming = first === first && last === last;
  const direct = await QuestDbSink.open(store.config, store.tables);
  // With a broker: the history straight into QuestDB, the live telemetry as Sparkplug B through it.
  const publishing =
    publishTo === undefined
      ? undefined
      : new PublishingSink(
          direct,
          await SparkplugPublisher.connect({ url: publishTo.url, group: publishTo.group }, [
            ...new Set(simulatedPlant(PLANT).equipment.map((e) => e.line)),
          ]),
        );
  const sink: SimSink = publishing ?? direct;
  const bar = progressBar(resuming ? 'replaying plant state' : 'simulating plant history');
  const started = performance.now();
  let readings = 0;
  let announced = false;
  // The machines' state at every hour the run passes, written once live (the backfill's hours
  // would only be overwritten): a restart continues from it rather than replaying the history.
  const stateFile = plantStateFile(store);
  const notUsed = (reason: string) =>
    console.log(
      `plant: the saved state in ${stateFile} is not used (${reason}); replaying the history instead`,
    );
  const saved = resuming ? readPlantState(stateFile) : undefined;
  if (saved !== undefined && 'reason' in saved) notUsed(saved.reason);
  let resumedAt: number | undefined;
  let latest: PlantState | undefined;
  let saving = true;
  const save = (s: PlantState) => {
    if (!saving) return;
    try {
      writePlantState(stateFile, s);
    } catch (err) {
      saving = false;
      console.error(
        `plant: cannot save its state (${errorMessage(err)}); a restart will replay the history instead`,
      );
    }
  };
  try {
    await simulate(sink, {
      ...PLANT,
      ...(resuming
        ? { start: Math.round(first / 1e6), days: 0, replayUntil: Math.floor(last / 1e6 / 3600) * 3600 }
        : {}),
      ...(saved !== undefined && 'state' in saved ? { resume: saved.state } : {}),
      onResume: (r) => ('at' in r ? (resumedAt = r.at) : notUsed(r.reason)),
      onState: (s) => {
        latest = s;
        if (announced) save(s);
      },
      live: true,
      signal,
      onProgress: (p) => {
        readings = p.readings;
        if (!p.live) bar.update(p.simulatedS, p.totalS, `${p.readings.toLocaleString('en')} readings`);
      },
      onLive: () => {
        bar.end();
        const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
        if (!announced)
          console.log(
            !resuming
              ? `plant: ${PLANT.days} days of history simulated and written, ${readings.toLocaleString('en')} readings in ${took}`
              : resumedAt === undefined
                ? `plant: state replayed in ${took}`
                : `plant: state restored as of ${new Date(resumedAt * 1000).toISOString()} (${stateFile}) and brought up to date in ${took}`,
          );
        publishing?.goLive();
        if (!announced) {
          announced = true;
          if (latest !== undefined) save(latest);
          ready();
        }
      },
    });
  } finally {
    await sink.close().catch(() => {});
  }
}

/** Where the simulated plant's state is saved: beside the managed QuestDB's data directory. */
function plantStateFile(store: Store): string {
  const prefix = store.config.tablePrefix === '' ? '' : `-${store.config.tablePrefix}`;
  return path.join(path.dirname(store.config.questdb.dataDir), `plant-state${prefix}.json`);
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** The longer horizons without a promoted model yet, and why (too little history, or not better than the base rate). */
function waitingHorizons(scope: string, m: InitialModels): string[] {
  const lines: string[] = [];
  for (const x of m.horizons)
    if ('skipped' in x && x.skipped !== 'already promoted')
      lines.push(
        `  ${scope}.failure-any-${x.horizon_h}h not promoted yet: ${x.skipped} (the nightly retrain tries again)`,
      );
  return lines;
}

/** "name@version answers" with the figures, or which reference answers instead and why. */
function verdict(model: { name: string; version: string }, gate: Gate, figures: string): string {
  return gate.passed
    ? `  ${model.name}@${model.version} answers: ${figures}`
    : `  ${model.name}@${model.version} lost to its references (${gate.reason}); ${gate.serve} answers instead. ${figures}`;
}

function failureFigures(b: FailureBacktest): string {
  return (
    `walk-forward ROC-AUC ${f2(b.roc_auc)} (one sensor ${f2(b.baseline.roc_auc)}, persistence ${f2(b.persistence.roc_auc)}), ` +
    `Brier ${f2(b.brier)} (climatology ${f2(b.base_rate_brier)}, skill ${f2(b.brier_skill)}), ECE ${f2(b.ece)}; ` +
    `at a budget of ${b.alert_budget_per_equipment_month} false alerts per equipment-month: ${b.failures_warned}/${b.failures_in_test} failures warned, ` +
    `median lead ${f2(b.lead_time_h.median)} h, ${f2(b.false_alarms_per_equipment_month)} false alarms per equipment-month measured`
  );
}

function describeModels(scope: string, m: InitialModels): string[] {
  const lines: string[] = [];
  if ('model' in m.failure)
    lines.push(verdict(m.failure.model, m.failure.backtest.gate, failureFigures(m.failure.backtest)));
  else if (m.failure.skipped !== 'already promoted')
    lines.push(`  ${scope}: failure model not trained: ${m.failure.skipped}`);
  for (const x of m.horizons)
    if ('model' in x) lines.push(verdict(x.model, x.backtest.gate, failureFigures(x.backtest)));
  lines.push(...waitingHorizons(scope, m));
  for (const x of m.modes) {
    if ('model' in x) lines.push(verdict(x.model, x.backtest.gate, failureFigures(x.backtest)));
    else lines.push(`  ${scope}: ${x.mode} model not trained: ${x.skipped}`);
  }
  if ('model' in m.rul) {
    const b = m.rul.backtest;
    lines.push(
      verdict(
        m.rul.model,
        b.gate,
        `walk-forward RMSE ${f2(b.rmse_h)} h, MAE ${f2(b.mae_h)} h (mean life ${f2(b.baseline.rmse_h)} h, ` +
          `Weibull ${f2(b.weibull_baseline.rmse_h)} h); 10-90 % conformal interval covers ${f2(b.interval_coverage * 100)} % ` +
          `out of sample; of the ${b.censored.rows} instants still running at the end, certainly too low: model ` +
          `${f2(b.censored.model_too_low * 100)} %, mean life ${f2(b.censored.baseline_too_low * 100)} %`,
      ),
    );
  } else if (m.rul.skipped !== 'already promoted')
    lines.push(`  ${scope}: RUL model not trained: ${m.rul.skipped}`);
  if ('model' in m.anomaly) {
    const b = m.anomaly.backtest;
    lines.push(
      `  ${m.anomaly.model.name}@${m.anomaly.model.version}: anomaly model (health index) learnt from ${m.anomaly.model.rows} normal instants, alarm at health <= ${f2(m.anomaly.model.alarmHealth ?? NaN)}` +
        (b === null
          ? '; no failure in the history to backtest it against'
          : `; walk-forward with every failure hidden: ROC-AUC ${f2(b.roc_auc)}, ${b.failures_warned}/${b.failures_in_test} failures warned within ${b.horizon_h} h, median lead ${f2(b.lead_time_h.median)} h, ${f2(b.false_alarms_per_equipment_month)} false alarms per equipment-month`),
    );
  } else if (m.anomaly.skipped !== 'already promoted')
    lines.push(`  ${scope}: anomaly model not trained: ${m.anomaly.skipped}`);
  return lines;
}

export async function runMain(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const store = await connectStore(config, { onLog: (line) => console.log(line) });
  const live = new AbortController();
  let plant: Promise<void> = Promise.resolve();
  // What the Ctrl-C handler stops, filled in as it starts.
  const running: {
    jobs?: EngineJobs;
    api?: { close(): Promise<void> };
    mqtt?: MqttSource;
    opcua?: OpcUaSource;
  } = {};
  const stop = handleStopSignals({
    stop: async (signal) => {
      const also = store.server?.startedHere ? ' (and the QuestDB started here)' : '';
      console.log(`\n${signal}: stopping${also}...`);
      live.abort(); // first: the plant stream and any long step watching the signal end now
      await running.api?.close().catch(() => {});
      await running.jobs?.stop().catch(() => {}); // waits for a running job
      await plant.catch((err: unknown) => console.error(`plant stream: ${errorMessage(err)}`)); // flushes ingestion
      await running.mqtt?.stop().catch(() => {}); // writes and acknowledges what it read
      await running.opcua?.stop().catch(() => {});
      await store.close();
      console.log('stopped');
      return signal === 'error' ? 1 : 0;
    },
    // A QuestDB that went away can keep a flush retrying: stop what was started here and leave.
    force: () => {
      if (store.server?.startedHere) {
        try {
          process.kill(store.server.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    },
    deadlineMs: 10_000,
  });

  const { applied } = store.migrations;
  console.log(applied.length > 0 ? `schema: applied ${applied.join(', ')}` : 'schema: up to date');
  await loadCmapss(store);
  // The simulator is one plant among others: its plant file is applied on first start, as a real
  // plant's would be (pdm plant apply FILE).
  // On a later start the simulator's plant is applied again, so an updated plant file takes effect
  // (the same file changes nothing); it never shrinks below the machines `pdm simulate` added.
  let inForce = await currentPlant(store);
  if (inForce === null || inForce.plant.name === simulatedPlant(PLANT).name) {
    const size = Math.max(PLANT.equipment, inForce?.plant.equipment.length ?? 0);
    const applied = await applyPlant(store, simulatedPlant({ ...PLANT, equipment: size }));
    if (applied.changed)
      console.log(
        `plant: ${applied.plant.name} applied as version ${applied.version} (${SIMULATED_PLANT_FILE})`,
      );
    inForce = await currentPlant(store);
  }
  const plantInForce = inForce!.plant;
  const scopes = modelScopes(plantInForce);
  for (const s of scopes) console.log(`plant: model scope ${describeScope(s)}`);
  // The MQTT source reads the broker as the plant file maps it; with PDM_MQTT_SIMULATOR the
  // simulated plant publishes its live telemetry there, so readings take the broker -> engine path.
  const mqttUrl = config.mqtt.url;
  if (mqttUrl !== undefined && plantInForce.mqtt !== null) {
    const source = await MqttSource.start({
      url: mqttUrl,
      plant: plantInForce,
      store,
      clientId: config.mqtt.clientId,
      share: config.mqtt.share,
      batchMs: config.mqtt.batchMs,
      receiveMaximum: config.mqtt.receiveMaximum,
      onLog: (line) => console.log(line),
    });
    running.mqtt = source;
  } else if (mqttUrl !== undefined)
    console.log(
      `mqtt: the plant file (${plantInForce.name}) maps no MQTT topic: nothing is read from ${mqttUrl}`,
    );
  // The plant file's OPC UA servers, subscribed to in the background (each reconnects by itself).
  if (plantInForce.opcua !== null)
    running.opcua = await OpcUaSource.start({
      plant: plantInForce,
      store,
      onLog: (line) => console.log(line),
    });
  const group = plantInForce.mqtt?.sparkplug?.groups.find((g) => g !== '+');
  if (config.mqtt.simulatorPublishes && (mqttUrl === undefined || group === undefined))
    throw new Error(
      'PDM_MQTT_SIMULATOR=true needs PDM_MQTT_URL and a Sparkplug group in the plant file (mqtt.sparkplug.groups)',
    );
  const publishTo =
    config.mqtt.simulatorPublishes && mqttUrl !== undefined && group !== undefined
      ? { url: mqttUrl, group }
      : undefined;
  if (publishTo !== undefined)
    console.log(
      `plant: live telemetry published as Sparkplug B to ${publishTo.url} (group ${publishTo.group})`,
    );
  const isLive = new Promise<void>((resolve) => {
    plant = runPlant(store, live.signal, resolve, publishTo);
    plant.catch((err: unknown) => {
      console.error(`npm start: the plant stream failed: ${errorMessage(err)}`);
      stop('error');
    });
  });
  await isLive;
  for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
    await waitForWal(store.pool, store.tables, t, 120_000);

  // Models: first ones backtested, trained and promoted when none is registered.
  const registry = new ModelRegistry(config.modelsDir);
  const history = historyWindow(await storedHistory(store, 'npm start'), config.models.historyDays);
  const trainStart = performance.now();
  const models: { scope: string; m: InitialModels }[] = [];
  for (const scope of scopes)
    models.push({
      scope: scope.name,
      m: await ensureInitialModels(store, registry, scope, history, {
        horizons: config.models.failureHorizonsHours,
        alertBudget: config.models.alertBudget,
        workOrderBudget: config.models.workOrderBudget,
        anomalyAlarmBudget: config.models.anomalyAlarmBudget,
        onStep: (what) =>
          console.log(
            `models (${scope.name}, ${((performance.now() - trainStart) / 1000).toFixed(1)} s): ${what}...`,
          ),
      }),
    });
  const trained = models.some(({ m }) => 'model' in m.failure || 'model' in m.rul || 'model' in m.anomaly);
  if (trained) {
    console.log(`models: trained in ${((performance.now() - trainStart) / 1000).toFixed(1)} s; backtests:`);
    for (const { scope, m } of models) for (const line of describeModels(scope, m)) console.log(line);
    // Quality drift is fitted per maintenance cycle when scoring (a stored curve would be stale at
    // the next tool change); its method is backtested here against the simulator's truth.
    const d = await backtestDrift(store, history);
    console.log(
      `  quality drift (fitted per maintenance cycle): time to spec limit MAE ${f2(d.mae_running_h)} running h ` +
        `over ${d.within_horizon} batches (baseline ${f2(d.baseline.mae_running_h)} h), 90 % interval covers ` +
        `${f2(d.interval_coverage * 100)} %, ${d.missed} crossings missed, ${d.false_alarms} false`,
    );
  } else {
    const names = registry.names().map((n) => `${n}@${registry.promoted(n) ?? 'none'}`);
    console.log(`models: using the registered ${names.join(', ')} (${config.modelsDir})`);
    for (const { scope, m } of models) for (const line of waitingHorizons(scope, m)) console.log(line);
  }
  const scorer = await LiveScorer.open(store, registry, config.models.failureHorizonsHours[0]);

  // Jobs, then the API (which reports their state).
  const jobs = await startEngineJobs({
    store,
    registry,
    scorer,
    ...jobLogging((line) => console.log(line)),
  });
  const keys = new KeyStore(config.api.keysFile);
  const firstKey = keys.size === 0 ? keys.create('admin').key : undefined;
  running.jobs = jobs;
  const app = await buildApp({ store, registry, scorer, keys, jobs });
  const api = await app.listen({ host: config.api.host, port: config.api.port });
  running.api = app;
  // A first forecast now rather than at the next 5-minute tick. On a first start it is waited for
  // (the views have nothing to show before it); on a later one the stored forecasts answer
  // meanwhile, so it runs in the background (its line is logged when it ends).
  if (scorer.current.ready) {
    const first = jobs.scheduler.runNow('score').catch(() => {});
    if (trained) await first;
  }

  const readings = await rowCount(store, store.tables.telemetry);
  const http = httpUrlOf(config.questdb);
  // The admin key is printed once; the example commands read it from $PDM_KEY.
  const key = '$PDM_KEY';
  const schedule = jobs.scheduler
    .status()
    .filter((j) => j.cron !== '')
    .map((j) => `${j.name} (${j.cron})`)
    .join(', ');
  console.log(
    [
      '',
      `Up in ${((performance.now() - started) / 1000).toFixed(1)} s, ${readings.toLocaleString('en')} readings stored.`,
      firstKey === undefined
        ? `  API keys:         in ${config.api.keysFile}; export PDM_KEY=<a key> for the commands below (npx pdm keys create --role mes|scheduler|engineer|admin)`
        : `  Admin API key:    export PDM_KEY=${firstKey}   (shown once; only its hash is stored in ${config.api.keysFile})`,
      `  API:              ${api}  (OpenAPI docs and UI: ${api}/docs)`,
      `  Dashboard:        ${api}/`,
      `  Score:            curl -s -X POST '${api}/v1/score' -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"equipment":"cnc-001"}'`,
      `  Forecasts:        curl -s '${api}/v1/forecasts?horizon=24' -H "authorization: Bearer ${key}"`,
      `  Job runs:         curl -s '${api}/v1/jobs' -H "authorization: Bearer ${key}"   (or npx pdm jobs list)`,
      `  Jobs:             ${schedule} (${jobs.leader.describe})`,
      `  Alerts:           curl -s '${api}/v1/alerts' -H "authorization: Bearer ${key}"   (dashboard: ${api}/#/alerts); ` +
        (jobs.deliverer.receivers.length === 0
          ? 'recorded, not pushed (PDM_ALERT_WEBHOOK_URL, PDM_ALERT_WORK_ORDER_URL, PDM_ALERT_MQTT_TOPIC: docs/alerts.md)'
          : `delivered to ${jobs.deliverer.receivers.map((r) => `${r.target} ${new URL(r.url).host}${r.target === 'mqtt' ? ` ${r.topic}` : ''}`).join(', ')}`),
      `  QuestDB console:  ${http}`,
      `  Live telemetry:   ${PLANT.equipment} simulated machines, one reading a second each, with MES batches and maintenance` +
        (publishTo === undefined
          ? ''
          : `; published as Sparkplug B to ${publishTo.url} and read back by the MQTT source`),
      '',
      'Ctrl-C stops the engine' + (store.server?.startedHere ? ' and the QuestDB it started.' : '.'),
    ].join('\n'),
  );
}

runMain().catch((err: unknown) => {
  console.error(`npm start: ${errorMessage(err)}`);
  process.exit(1);
});
