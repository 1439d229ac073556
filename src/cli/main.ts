/**
 * `pdm`: a thin command line over the library. Each command parses its arguments, calls library
 * functions and reports; with --json the last line of output is one JSON object. A failure exits
 * non-zero with the reason on stderr.
 */
import { describeEnv, loadConfig } from '../config.ts';
import { errorMessage, isPdmError, ErrorCodes, PdmError } from '../errors.ts';
import { backtestCommand } from './commands/backtest.ts';
import { dbCommand } from './commands/db.ts';
import { evaluateCommand } from './commands/evaluate.ts';
import { featuresCommand } from './commands/features.ts';
import { forecastCommand } from './commands/forecast.ts';
import { connectCommand } from './commands/connect.ts';
import { ingestCommand } from './commands/ingest.ts';
import { jobsCommand } from './commands/jobs.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { plantCommand } from './commands/plant.ts';
import { modelsCommand } from './commands/models.ts';
import { queryCommand } from './commands/query.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { trainCommand } from './commands/train.ts';
import { nearest } from './args.ts';
import { makeOutput } from './output.ts';
import type { Output } from './output.ts';
import type { Config } from '../config.ts';

export interface CommandContext {
  readonly args: string[];
  readonly config: Config;
  readonly out: Output;
}

interface Command {
  readonly usage: string;
  readonly summary: string;
  run(ctx: CommandContext): Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  db: {
    usage: 'db start|stop|status',
    summary: 'Run the managed QuestDB (bound to 127.0.0.1)',
    run: dbCommand,
  },
  migrate: {
    usage: 'migrate',
    summary: 'Apply pending schema migrations from sql/migrations',
    run: migrateCommand,
  },
  ingest: {
    usage:
      'ingest FILE [--format csv|ndjson|cmapss] [--table T] [--time-field F] [--time-unit s|ms|us|ns|cycle]\n' +
      '              [--cycle-seconds N --time-origin ISO] [--equipment-field F [--equipment-format fd001-%03d] | --equipment ID]\n' +
      '              [--sensors col=field,...] [--columns a,b,c (no header)] [--delimiter C|whitespace]\n' +
      '              [--failure-at-last MODE] [--dataset NAME] [--max-rejections N]',
    summary:
      "Ingest a CSV, NDJSON or NASA C-MAPSS file; bad rows are reported, good rows kept; readings of the plant file's equipment are checked against it",
    run: ingestCommand,
  },
  connect: {
    usage: 'connect mqtt [--url mqtt://host:1883] [--client-id ID] [--share GROUP] | connect opcua',
    summary:
      "Read the plant's telemetry into QuestDB until Ctrl-C, as the plant file maps it: from an MQTT broker (Sparkplug B and JSON topics; at least once, acknowledged after QuestDB took it) or OPC UA servers (monitored nodes)",
    run: connectCommand,
  },
  simulate: {
    usage:
      'simulate [--equipment N] [--days D] [--seed S] [--start ISO] [--sample-seconds S] [--preset default|large]\n' +
      '              [--live [--speed X] [--publish mqtt]]',
    summary: 'Backfill a simulated plant (telemetry, MES, maintenance, ground truth); --live streams on',
    run: simulateCommand,
  },
  features: {
    usage:
      'features compute|summary [--scope S] [--from ISO] [--to ISO] [--every SECONDS]\n' +
      '              [--persist] [--horizon HOURS] [--csv FILE]',
    summary:
      "Compute a model scope's feature set (from the plant file) over the store (and persist it), or summarise it for an engineer",
    run: featuresCommand,
  },
  evaluate: {
    usage: 'evaluate cmapss [--subset FD001 | --train F --test F --rul F] [--trees N] [--cap 125]',
    summary:
      "Run the standard NASA C-MAPSS RUL protocol with the engine's features and forest: RMSE and PHM08 score",
    run: evaluateCommand,
  },
  train: {
    usage:
      'train failure|rul [--scope S] [--horizon HOURS] [--mode MODE] [--cap HOURS] [--trees N] [--promote] [--skip-backtest]',
    summary:
      'Backtest the recipe walk-forward, fit it on the stored history (forest on the earlier 3/4 of labelled instants, calibration on the purged rest) and register it with the gate verdict (the first version is promoted)',
    run: trainCommand,
  },
  forecast: {
    usage: 'forecast [--at ISO] [--line LINE]',
    summary:
      'Score every equipment, write the forecasts, print them ranked with the running batch and a maintenance window',
    run: forecastCommand,
  },
  backtest: {
    usage:
      'backtest failure [--scope S] [--horizon HOURS] [--folds N] [--mode MODE] [--budget N | --threshold P] [--work-order-budget N] [--hold-out EQ,...] [--no-context-z] [--cross-fit 4|0] [--from ISO] [--to ISO] [--report DIR]\n' +
      '              | backtest rul [--scope S] [--cap HOURS] [--folds N]\n' +
      '              | backtest alerts [--scope S] [--horizon HOURS] [--folds N] [--budget N] [--work-order-budget N] [--no-context-z] [--cross-fit 4|0]\n' +
      '              | backtest anomaly [--scope S] [--horizon HOURS] [--folds N] [--budget N] | backtest anomaly --cmapss FD001|FILE',
    summary:
      'Walk-forward backtest on stored history (failure within a horizon, RUL, the alert policy replayed, the health index with failures hidden), leak-free, against its references, with the gate verdict; JSON figures, a markdown report with plots. --cross-fit 0: calibrate on the latest quarter of each training side instead of cross-fitted scores over all of it',
    run: backtestCommand,
  },
  models: {
    usage: 'models list | show NAME [VERSION] | promote NAME VERSION | rollback NAME',
    summary: 'The model registry: versions with metrics, the promoted one, rollback',
    run: modelsCommand,
  },
  plant: {
    usage: 'plant apply FILE [--accept-orphans] | show [--version N]',
    summary:
      'The plant as data: apply a plant file (YAML or JSON: classes, sensors with units and ranges, failure modes, quality limits, equipment; checked whole, idempotent, versioned), or show the one in force',
    run: plantCommand,
  },
  keys: {
    usage:
      'keys create --role mes|scheduler|engineer|admin [--expires 90d|INSTANT] [--note TEXT] | list | revoke ID',
    summary:
      'API keys: create one for a role (printed once; only a salted hash is stored), list them, revoke one (running servers refuse it within seconds)',
    run: keysCommand,
  },
  serve: {
    usage: 'serve [--jobs]',
    summary:
      'Serve the HTTP API on PDM_API_HOST:PDM_API_PORT; --jobs also runs the scheduled jobs (leader-elected with PDM_POSTGRES_URL)',
    run: serveCommand,
  },
  jobs: {
    usage: 'jobs list [--job NAME] [--limit N] | jobs run features|score|retrain|freshness',
    summary: 'Job run history (start, end, status, rows, error), or run one job now',
    run: jobsCommand,
  },
  query: {
    usage: 'query "SQL" [--param V ...] [--limit N]',
    summary: 'Run SQL (values as --param bind parameters); print a table',
    run: queryCommand,
  },
};

export function helpText(): string {
  const lines = [
    'pdm - predictive-maintenance engine',
    '',
    'Usage: pdm <command> [options] [--json]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    'Every command takes --json: the last line of output is then one JSON object.',
    '',
    'Environment:',
    describeEnv(),
  ];
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const out = makeOutput(json);
  const name = args[0];
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(helpText() + '\n');
    if (json) out.result({ ok: true, commands: Object.keys(COMMANDS) });
    return 0;
  }
  const command = COMMANDS[name];
  // `pdm <command> --help`: that command's usage and summary (what a user tries first).
  if (command !== undefined && args.slice(1).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`Usage: pdm ${command.usage}\n\n${command.summary}\n`);
    if (json) out.result({ ok: true, command: name, usage: `pdm ${command.usage}` });
    return 0;
  }
  try {
    if (command === undefined)
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        `unknown command ${JSON.stringify(name)}${((g) => (g === null ? '' : ` (did you mean ${g}?)`))(nearest(name, Object.keys(COMMANDS)))}; pdm --help lists them`,
      );
    await command.run({ args: args.slice(1), config: loadConfig(), out });
    return 0;
  } catch (err) {
    const code = isPdmError(err) ? err.code : 'PDM_ERR_INTERNAL';
    process.stderr.write(`pdm ${name}: ${errorMessage(err)}\n`);
    if (!isPdmError(err) && process.env.PDM_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    if (json) out.result({ ok: false, error: { code, message: errorMessage(err) } });
    return 1;
  }
}
