import { ErrorCodes, PdmError } from '../../errors.ts';
import { applyPlant, currentPlant } from '../../plant/index.ts';
import {
  ChecksumSink,
  PublishingSink,
  QuestDbSink,
  SparkplugPublisher,
  TeeSink,
  simulate,
  simulatedPlant,
} from '../../sim/index.ts';
import type { SimSink } from '../../sim/index.ts';
import { connectStore, query, sql, waitForWal } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { parseIsoMicros } from '../../ingest/index.ts';
import { parseOptions } from '../args.ts';
import { progressBar } from '../output.ts';
import type { CommandContext } from '../main.ts';

/** Named sizes: `default` finishes in about a minute here; `large` is the scale run. */
export const PRESETS: Record<string, { equipment: number; days: number }> = {
  default: { equipment: 8, days: 3 },
  large: { equipment: 200, days: 30 },
};

function num(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `simulate: --${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

async function storedCounts(store: Store, start: string, end: string) {
  for (const t of [
    store.tables.telemetry,
    store.tables.maintenance,
    store.tables.batches,
    store.tables.orders,
  ]) {
    await waitForWal(store.pool, store.tables, t, 600_000);
  }
  const { rows } = await query<Record<string, string>>(store.pool, sql('sim_stored_counts', store.tables), [
    start,
    end,
  ]);
  const r = rows[0] ?? {};
  return {
    readings: Number(r.readings),
    failures: Number(r.failures),
    batches: Number(r.batches),
    orders: Number(r.orders),
  };
}

/**
 * The simulator's plant, applied as any plant is: when none is in force, or when the simulated
 * plant in force lacks some of the machines asked for (then it grows; it never shrinks, which would
 * orphan the readings of the machines left out). Another plant in force is left alone, and said.
 */
async function applySimulatedPlant(
  store: Store,
  equipment: number,
  warn: (line: string) => void,
): Promise<string> {
  const cur = await currentPlant(store);
  const wanted = simulatedPlant({ equipment });
  if (cur !== null && cur.plant.name !== wanted.name) {
    warn(
      `warning: the plant in force is ${cur.plant.name}: the simulated machines are stored, not forecast ` +
        "(apply the simulator's plant file, examples/plants/simulated.yaml, to forecast them)",
    );
    return `plant ${cur.plant.name} in force (not the simulator's)`;
  }
  const have = new Set(cur?.plant.equipment.map((e) => e.id) ?? []);
  if (cur !== null && wanted.equipment.every((e) => have.has(e.id)))
    return `plant ${cur.plant.name} version ${cur.version} in force`;
  const size = Math.max(equipment, cur?.plant.equipment.length ?? 0);
  const r = await applyPlant(store, simulatedPlant({ equipment: size }));
  return `plant ${r.plant.name} applied as version ${r.version} (${size} machines)`;
}

export async function simulateCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values } = parseOptions('simulate', args, {
    preset: { type: 'string' },
    equipment: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string' },
    'sample-seconds': { type: 'string' },
    live: { type: 'boolean' },
    speed: { type: 'string' },
    publish: { type: 'string' },
  });
  if (values.publish !== undefined && values.publish !== 'mqtt')
    throw new PdmError(ErrorCodes.CLI_USAGE, 'simulate: --publish takes mqtt');
  if (values.publish !== undefined && values.live !== true)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'simulate: --publish mqtt publishes the live stream: add --live (the history is written to QuestDB directly)',
    );
  const preset = PRESETS[values.preset ?? 'default'];
  if (preset === undefined)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `simulate: --preset must be one of ${Object.keys(PRESETS).join(', ')}`,
    );
  const live = values.live === true;
  const equipment = num('equipment', values.equipment, preset.equipment, 1);
  const days = num('days', values.days, live && values.days === undefined ? 0 : preset.days, 0);
  const seed = num('seed', values.seed, 1, 0);
  let start: number | undefined;
  if (values.start !== undefined) {
    const micros = parseIsoMicros(values.start);
    if (Number.isNaN(micros))
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        `simulate: --start must be ISO 8601, got ${JSON.stringify(values.start)}`,
      );
    start = Math.floor(micros / 1e6);
  }
  const store = await connectStore(config, { start: false });
  let plantLine: string;
  try {
    plantLine = await applySimulatedPlant(store, Math.round(equipment), (l) => out.warn(l));
  } catch (err) {
    await store.close();
    throw err;
  }
  const checksum = new ChecksumSink();
  const direct = new TeeSink([await QuestDbSink.open(config, store.tables), checksum]);
  // --publish mqtt: the live readings go to the broker as Sparkplug B (the group the plant file
  // names), for the MQTT source (pdm connect mqtt) to read back; the history and MES context go
  // to QuestDB directly.
  let publishing: PublishingSink | undefined;
  if (values.publish === 'mqtt') {
    // The group the simulated plant in force reads (examples/plants/simulated.yaml: pdm-sim), so
    // a plant file that renames it is published to as it says; never another plant's namespace.
    const sim = simulatedPlant({ equipment: 1 });
    const cur = (await currentPlant(store))?.plant;
    const inForce = cur?.name === sim.name ? cur : sim;
    const group = inForce.mqtt?.sparkplug?.groups.find((g) => g !== '+') ?? 'pdm-sim';
    const url = config.mqtt.url ?? 'mqtt://127.0.0.1:1883';
    const lines = [
      ...new Set(simulatedPlant({ equipment: Math.round(equipment) }).equipment.map((e) => e.line)),
    ];
    publishing = new PublishingSink(direct, await SparkplugPublisher.connect({ url, group }, lines));
    plantLine += `; live telemetry published as Sparkplug B to ${url} (group ${group})`;
  }
  const sink: SimSink = publishing ?? direct;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar(live ? 'live' : 'simulate');
  try {
    const summary = await simulate(sink, {
      equipment: Math.round(equipment),
      days,
      seed: Math.round(seed),
      start,
      sampleSeconds:
        values['sample-seconds'] === undefined
          ? undefined
          : num('sample-seconds', values['sample-seconds'], 1, 0.01),
      live,
      speed: num('speed', values.speed, 1, 0.001),
      signal: stop.signal,
      onLive: () => publishing?.goLive(),
      onProgress: (p) =>
        p.live
          ? bar.update(
              1,
              1,
              `${(p.simulatedS / 3600).toFixed(1)} h simulated, ${p.readings.toLocaleString('en')} readings (Ctrl-C stops)`,
            )
          : bar.update(p.simulatedS, p.totalS, `${p.readings.toLocaleString('en')} readings`),
    });
    await sink.close();
    bar.end();
    const stored = await storedCounts(store, summary.start, summary.end);
    const result = {
      ok: true,
      ...summary,
      checksum: checksum.digest(),
      tables: store.tables.telemetry,
      stored,
      plant: plantLine,
    };
    const f = summary.failures;
    out.result(
      result,
      [
        `Simulated ${summary.equipment} equipment from ${summary.start} to ${summary.end} (seed ${summary.seed}) in ${summary.duration_s} s:`,
        `  ${summary.readings.toLocaleString('en')} readings (${summary.readings_per_s.toLocaleString('en')}/s; ${summary.duplicates_sent} duplicates and ${summary.late_sent} late re-sent as plants do)`,
        `  ${summary.failures_total} failures (bearing ${f.bearing}, thermal ${f.thermal}, tool wear ${f.tool_wear}, seal wear ${f.seal_wear}), ${summary.preventive} preventive maintenances`,
        `  ${summary.batches} batches (${summary.batches_aborted} aborted by failures), ${summary.orders} orders, ${summary.quality} quality measurements`,
        `  ${summary.burst_samples.toLocaleString('en')} vibration burst samples (1 s at 100 Hz hourly)`,
        `  QuestDB holds: ${stored.readings.toLocaleString('en')} readings, ${stored.failures} failures, ${stored.batches} batches, ${stored.orders} orders`,
        `  checksum ${checksum.digest()}`,
        `  ${plantLine}`,
      ].join('\n'),
    );
  } finally {
    bar.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}
