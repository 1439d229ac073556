import { ErrorCodes, PdmError } from '../../errors.ts';
import { MqttSource, OpcUaSource } from '../../sources/index.ts';
import { connectStore } from '../../store/index.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';
import { plantInForce } from '../scope.ts';

const USAGE =
  'usage: pdm connect mqtt [--url mqtt://host:1883] [--client-id ID] [--share GROUP] | pdm connect opcua';

/** Runs until Ctrl-C (or SIGTERM), saying how it goes every 10 s. */
async function untilStopped(progress: () => void): Promise<void> {
  const timer = setInterval(progress, 10_000).unref();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
}

/**
 * Reads the plant's telemetry from an MQTT broker into QuestDB until Ctrl-C, as the plant file maps
 * it (Sparkplug B and plain JSON topics); prints what it did every 10 s and when it stops.
 */
export async function connectCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('connect', args, {
    url: { type: 'string' },
    'client-id': { type: 'string' },
    share: { type: 'string' },
  });
  const kind = positionals[0];
  if ((kind !== 'mqtt' && kind !== 'opcua') || positionals.length !== 1)
    throw new PdmError(ErrorCodes.CLI_USAGE, USAGE);
  if (kind === 'opcua') return connectOpcUa({ args, config, out });
  const url = values.url ?? config.mqtt.url ?? 'mqtt://127.0.0.1:1883';
  const store = await connectStore(config, { start: false });
  let source: MqttSource | undefined;
  try {
    const plant = await plantInForce(store, 'connect mqtt');
    if (plant.mqtt === null)
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        'connect mqtt: the plant file maps no MQTT topic: add an mqtt section (sparkplug and/or topics; docs/connectivity.md)',
      );
    source = await MqttSource.start({
      url,
      plant,
      store,
      clientId: values['client-id'] ?? config.mqtt.clientId,
      share: values.share ?? config.mqtt.share,
      batchMs: config.mqtt.batchMs,
      receiveMaximum: config.mqtt.receiveMaximum,
      onLog: (line) => out.info(line),
    });
    const s = source;
    const line = () =>
      `${s.stats.messages} messages, ${s.stats.rows} readings stored, ${s.stats.rejected} rejected, ` +
      `${s.stats.acknowledged} acknowledged, ${s.stats.writeFailures} write failures, ${s.stats.connections} connections`;
    await untilStopped(() => out.info(`mqtt: ${line()}`));
    await source.stop();
    out.result({ ok: true, url, ...source.stats }, `stopped: ${line()}`);
  } finally {
    await store.close();
  }
}

/** Subscribes to the plant file's OPC UA nodes until Ctrl-C, writing their values as readings. */
async function connectOpcUa({ config, out }: CommandContext): Promise<void> {
  const store = await connectStore(config, { start: false });
  try {
    const plant = await plantInForce(store, 'connect opcua');
    if (plant.opcua === null)
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        'connect opcua: the plant file lists no OPC UA server: add an opcua section (servers with their nodes; docs/connectivity.md)',
      );
    const source = await OpcUaSource.start({ plant, store, onLog: (line) => out.info(line) });
    const s = source.stats;
    const line = () =>
      `${s.values} values, ${s.rows} readings stored, ${s.badQuality} of bad quality (stored as missing), ` +
      `${s.rejected} rejected, ${s.monitored} nodes monitored, ${s.connections} connections`;
    await untilStopped(() => out.info(`opcua: ${line()}`));
    await source.stop();
    out.result({ ok: true, ...s }, `stopped: ${line()}`);
  } finally {
    await store.close();
  }
}
