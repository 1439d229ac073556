/**
 * Configuration from environment variables, validated once. Every variable is declared in
 * `ENV_VARS` with its default and meaning: `pdm --help` and the README print the same table.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import pkg from '../package.json' with { type: 'json' };
import { ErrorCodes, PdmError } from './errors.ts';
import {
  DEFAULT_ALERT_BUDGET,
  DEFAULT_ANOMALY_ALARM_BUDGET,
  DEFAULT_WORK_ORDER_BUDGET,
} from './plant/alerts.ts';

/** datasets/ of this package: the public data that ships with it (see datasets/README.md). */
export const DATASETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../datasets');
export interface QuestDbConfig {
  /** true when PDM_QUESTDB_HTTP_URL / PDM_QUESTDB_PG_URL point at a server the engine does not manage. */
  readonly external: boolean;
  readonly host: string;
  readonly httpPort: number;
  readonly pgPort: number;
  readonly ilpTcpPort: number;
  readonly healthPort: number;
  readonly pgUser: string;
  readonly pgPassword: string;
  readonly pgDatabase: string;
  readonly dataDir: string;
  readonly jar: string;
  readonly java: string | undefined;
  readonly heap: string;
  /**
   * The lowest level the managed QuestDB logs to questdb.log: ERROR (the default) keeps errors,
   * critical messages and the start-up advisories; INFO adds a few lines for every query and
   * commit (about a tenth of a core under live scoring, and a log without bound); DEBUG more.
   */
  readonly logLevel: 'DEBUG' | 'INFO' | 'ERROR' | 'CRITICAL';
  /**
   * How history is read: QuestDB's export over HTTP (Parquet where the query allows, else CSV),
   * its CSV export alone, or the PG wire.
   */
  readonly readVia: 'export' | 'csv' | 'pg';
}

export interface IngestConfig {
  /** Rows sent per HTTP request; also the bound on rows held in memory per writer. */
  readonly batchRows: number;
  /** Our own deadline around one flush: the client's may never fire (see docs/schema.md). */
  readonly flushTimeoutMs: number;
  readonly maxRetries: number;
}

export interface Config {
  /** Prefix of every table name (lowercase identifier); lets several engines or tests share a server. */
  readonly tablePrefix: string;
  /** Public development data (NASA C-MAPSS, ...), read in place, never copied into the repo. */
  readonly dataDir: string;
  /** Where the model registry keeps versioned models. */
  readonly modelsDir: string;
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly keysFile: string;
    /** Requests per minute per API key (per address without a key); 0 turns the limit off. */
    readonly rateLimitPerMinute: number;
    /** Requests per minute per client address, before any key check; 0: off. */
    readonly addressRateLimitPerMinute: number;
    /** Failed key checks per minute per address before it is refused without a check. */
    readonly authFailuresPerMinute: number;
    /** fastify's trustProxy: false, true, a hop count or addresses/CIDRs. */
    readonly trustProxy: boolean | number | string[];
    /**
     * Keyless read-only views for the dashboard on the same machine: only from a loopback peer, to
     * a loopback Host, without proxy headers, on a server bound to loopback.
     */
    readonly localReadOnly: boolean;
    readonly requestTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly maxConnections: number;
    readonly ndjsonMaxBytes: number;
    readonly ndjsonMaxLine: number;
    readonly logLevel: string;
  };
  readonly questdb: QuestDbConfig;
  readonly ingest: IngestConfig;
  readonly jobs: JobsConfig;
  readonly models: ModelsConfig;
  readonly mqtt: MqttConfig;
  readonly alerts: AlertsConfig;
}

/** Where alerts are delivered (src/alerts/delivery.ts); the policy itself is in the plant file. */
export interface AlertsConfig {
  /** Notifications (JSON POST); undefined: none sent (alerts are still recorded and served). */
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string;
  /** The CMMS endpoint work orders are POSTed to; undefined: none requested. */
  readonly workOrderUrl: string | undefined;
  readonly workOrderSecret: string;
  /** Topic root alerts are published under on PDM_MQTT_URL's broker; undefined: not published. */
  readonly mqttTopic: string | undefined;
}

/** The MQTT source (src/sources): where the broker is and how this worker reads it. */
export interface MqttConfig {
  /** The broker; undefined: no MQTT source runs with `npm start` (`pdm connect mqtt` defaults to localhost). */
  readonly url: string | undefined;
  /** The MQTT client id: fixed, so the persistent session outlives a restart. */
  readonly clientId: string;
  /** Shared-subscription group of the workers that split the stream; undefined: one worker reads all. */
  readonly share: string | undefined;
  /** How often received readings are written and acknowledged (ms). */
  readonly batchMs: number;
  /** Unacknowledged messages the broker may have in flight to this worker (bounds its memory). */
  readonly receiveMaximum: number;
  /** npm start's simulated plant publishes its live telemetry as Sparkplug B to the broker. */
  readonly simulatorPublishes: boolean;
}

export interface ModelsConfig {
  /**
   * Horizons (hours) of the "failure within H" models, the first one primary: per-mode models,
   * recommendations and the schedule use it. A longer one is trained once the history spans its
   * walk-forward backtest (twice the horizon plus two days); what answers for it is the model if
   * it beats its references out of sample, else the best reference.
   */
  readonly failureHorizonsHours: readonly number[];
  /**
   * False alarms per equipment-month the alert threshold of a failure model is chosen for, on its
   * training side's calibration slice (PDM_ALERT_BUDGET).
   */
  readonly alertBudget: number;
  /**
   * False work orders per equipment-month the work-order level of a failure model is chosen for,
   * the same way (PDM_WORK_ORDER_BUDGET): with `work_order_at: auto` the tier starts no lower.
   */
  readonly workOrderBudget: number;
  /**
   * False alarms per equipment-month the anomaly model's alarm level is chosen for, on normal
   * operation (PDM_ANOMALY_ALARM_BUDGET).
   */
  readonly anomalyAlarmBudget: number;
  /**
   * Days of history training, the retrain job and backtests read, ending at the latest reading
   * (PDM_TRAIN_HISTORY_DAYS; 0: all of it). Bounds their memory and time on a long-lived plant.
   */
  readonly historyDays: number;
  /**
   * Versions never promoted kept per model (PDM_MODELS_KEEP_UNPROMOTED, at least 1): the retrain
   * job deletes older ones. Every version ever promoted stays (rollback).
   */
  readonly keepUnpromoted: number;
}

export interface JobsConfig {
  /** Cron expression per job (node-cron syntax; a leading seconds field is allowed); '' disables the job. */
  readonly schedules: Readonly<Record<JobName, string>>;
  /** PostgreSQL for leader election between engine processes; undefined: this process always leads. */
  readonly postgresUrl: string | undefined;
  /** An equipment without readings for this long is reported stale by the freshness job. */
  readonly staleAfterSeconds: number;
  /** Metric on which a retrained challenger must beat the champion: brier (lower wins) or roc_auc. */
  readonly retrainMetric: 'brier' | 'roc_auc';
}

export const JOB_NAMES = ['features', 'score', 'retrain', 'freshness'] as const;
export type JobName = (typeof JOB_NAMES)[number];

interface EnvVar {
  readonly name: string;
  readonly default: string;
  readonly help: string;
}

/** Pinned in package.json (`questdb`), where scripts/fetch-questdb.sh reads it too. */
export const QUESTDB_VERSION: string = pkg.questdb.version;
/** Lowest Java major the pinned server runs on (9.3.x: 17; 9.4.x would need 25). */
export const QUESTDB_JAVA_MAJOR: number = pkg.questdb.javaMajor;

export const ENV_VARS: readonly EnvVar[] = [
  {
    name: 'PDM_QUESTDB_HTTP_URL',
    default: '',
    help: 'Use an existing QuestDB at this HTTP URL (ILP, /ping); the engine then manages no server',
  },
  {
    name: 'PDM_QUESTDB_PG_URL',
    default: '',
    help: 'PG-wire URL of an existing QuestDB, e.g. postgres://admin:quest@db:8812/qdb',
  },
  {
    name: 'PDM_QUESTDB_HTTP_PORT',
    default: '9000',
    help: 'HTTP port of the managed QuestDB (REST, ILP over HTTP, console)',
  },
  { name: 'PDM_QUESTDB_PG_PORT', default: '8812', help: 'PG-wire port of the managed QuestDB' },
  { name: 'PDM_QUESTDB_ILP_TCP_PORT', default: '9009', help: 'ILP/TCP port of the managed QuestDB' },
  { name: 'PDM_QUESTDB_HEALTH_PORT', default: '9003', help: 'Health/metrics port of the managed QuestDB' },
  {
    name: 'PDM_QUESTDB_DATA_DIR',
    default: './data/questdb',
    help: 'Root directory of the managed QuestDB (db, conf, log)',
  },
  {
    name: 'PDM_QUESTDB_JAR',
    default: `./vendor/questdb/questdb-${QUESTDB_VERSION}.jar`,
    help: 'QuestDB server jar (fetched by npm run setup)',
  },
  { name: 'PDM_QUESTDB_HEAP', default: '1g', help: 'Java heap of the managed QuestDB (-Xmx)' },
  {
    name: 'PDM_QUESTDB_LOG_LEVEL',
    default: 'ERROR',
    help: 'Lowest level the managed QuestDB writes to questdb.log: ERROR (errors, critical, start-up), INFO (every query and commit too), DEBUG or CRITICAL',
  },
  {
    name: 'PDM_READ_VIA',
    default: 'export',
    help: 'How training and backtests read history: export (QuestDB CSV export over HTTP, about twice as fast) or pg (the PG wire)',
  },
  {
    name: 'PDM_JAVA',
    default: '',
    help: 'Java 17+ binary for QuestDB; default $JAVA_HOME/bin/java, then java on PATH',
  },
  {
    name: 'PDM_TABLE_PREFIX',
    default: '',
    help: 'Prefix for every table name, to share one QuestDB between engines',
  },
  {
    name: 'PDM_DATA_DIR',
    default: '',
    help: "Public data (NASA C-MAPSS FD001) read by npm start, tests and pdm evaluate; default: the package's datasets/ (gzip copies shipped with it)",
  },
  {
    name: 'PDM_MODELS_DIR',
    default: './data/models',
    help: 'Model registry: versioned models, metadata and the promoted version',
  },
  { name: 'PDM_API_PORT', default: '3000', help: 'Port of the HTTP API (pdm serve)' },
  { name: 'PDM_API_HOST', default: '127.0.0.1', help: 'Address the HTTP API binds to' },
  {
    name: 'PDM_KEYS_FILE',
    default: './data/api-keys.json',
    help: 'API keys (salted hashes and roles), created with pdm keys create',
  },
  {
    name: 'PDM_API_RATE_LIMIT',
    default: '300000',
    help: 'Requests per minute per verified API key (300000: 5,000/s, above what one scoring client holds); 0 turns the limit off',
  },
  {
    name: 'PDM_API_ADDRESS_RATE_LIMIT',
    default: '600000',
    help: 'Requests per minute per client address, counted before any key is checked; 0 turns the limit off',
  },
  {
    name: 'PDM_API_AUTH_FAILURES',
    default: '60',
    help: 'Failed key checks per minute per client address before it gets 429 without a check',
  },
  {
    name: 'PDM_API_TRUST_PROXY',
    default: '',
    help: 'Behind a reverse proxy: "true", a hop count, or the proxy addresses/CIDRs (comma-separated) whose X-Forwarded-For is believed; "" trusts none',
  },
  {
    name: 'PDM_API_LOCAL_READONLY',
    default: 'true',
    help: 'true: GET requests from a loopback peer, to a loopback Host, with no proxy headers, on a server bound to loopback, need no key for read-only views',
  },
  {
    name: 'PDM_API_REQUEST_TIMEOUT_MS',
    default: '30000',
    help: 'Longest a request may take to arrive and be answered before the server ends it',
  },
  {
    name: 'PDM_API_HEADERS_TIMEOUT_MS',
    default: '10000',
    help: 'Longest a client may take to send the request headers',
  },
  {
    name: 'PDM_API_MAX_CONNECTIONS',
    default: '1024',
    help: 'Concurrent connections the API accepts; more are refused',
  },
  {
    name: 'PDM_API_NDJSON_MAX_BYTES',
    default: '268435456',
    help: 'Largest NDJSON telemetry body (bytes); a longer one is answered 413',
  },
  {
    name: 'PDM_API_NDJSON_MAX_LINE',
    default: '65536',
    help: 'Longest NDJSON line (characters); a longer one is answered 413',
  },
  {
    name: 'PDM_LOG_LEVEL',
    default: 'info',
    help: 'API log level (JSON lines on stderr): fatal, error, warn, info, debug, trace or silent',
  },
  { name: 'PDM_INGEST_BATCH_ROWS', default: '50000', help: 'Rows per ILP request (bounds writer memory)' },
  {
    name: 'PDM_INGEST_FLUSH_TIMEOUT_MS',
    default: '30000',
    help: 'Deadline for one ILP flush before it is retried',
  },
  { name: 'PDM_INGEST_MAX_RETRIES', default: '5', help: 'Retries of one batch before ingestion fails' },
  {
    name: 'PDM_JOB_FEATURES_CRON',
    default: '*/15 * * * *',
    help: 'When the features job refreshes and persists the last hours of features ("" disables it)',
  },
  {
    name: 'PDM_JOB_SCORE_CRON',
    default: '*/5 * * * *',
    help: 'When the scoring job scores all equipment and writes forecasts',
  },
  {
    name: 'PDM_JOB_RETRAIN_CRON',
    default: '30 2 * * *',
    help: 'When the nightly retrain trains challengers and promotes those that beat the champion',
  },
  {
    name: 'PDM_JOB_FRESHNESS_CRON',
    default: '* * * * *',
    help: 'When the freshness job checks for stale equipment and silent sensors',
  },
  {
    name: 'PDM_JOB_STALE_SECONDS',
    default: '300',
    help: 'An equipment silent this long is reported stale (freshness job)',
  },
  {
    name: 'PDM_RETRAIN_METRIC',
    default: 'brier',
    help: 'Metric a challenger must beat the champion on: brier (lower wins) or roc_auc',
  },
  {
    name: 'PDM_TRAIN_HISTORY_DAYS',
    default: '30',
    help: 'Days of history (ending at the latest reading) that training, the retrain job and backtests read; 0 reads all of it',
  },
  {
    name: 'PDM_MODELS_KEEP_UNPROMOTED',
    default: '10',
    help: 'Versions never promoted kept per model; the retrain job deletes older ones (promoted versions always stay)',
  },
  {
    name: 'PDM_FAILURE_HORIZONS',
    default: '24,72',
    help: 'Hours of the "failure within H" models, comma-separated, the first primary (a longer one trains once the history spans 2 H + 48 h; a model that loses to its references out of sample is replaced by the best of them, named)',
  },
  {
    name: 'PDM_ALERT_BUDGET',
    default: String(DEFAULT_ALERT_BUDGET),
    help: "False alarms per equipment-month a failure model's alert threshold is chosen for (on its calibration slice); the recommendation alerts at that threshold",
  },
  {
    name: 'PDM_WORK_ORDER_BUDGET',
    default: String(DEFAULT_WORK_ORDER_BUDGET),
    help: "False work orders per equipment-month a failure model's work-order level is chosen for, the same way; with work_order_at: auto the work-order tier starts at that level or halfway from the alert threshold to 1, whichever is higher",
  },
  {
    name: 'PDM_ANOMALY_ALARM_BUDGET',
    default: String(DEFAULT_ANOMALY_ALARM_BUDGET),
    help: "False alarms per equipment-month the anomaly model's alarm level is chosen for (on normal operation); anomaly alerts raise only where no failure model is promoted",
  },
  {
    name: 'PDM_POSTGRES_URL',
    default: '',
    help: 'PostgreSQL for leader election between engine processes (advisory lock); unset: this process leads',
  },
  {
    name: 'PDM_MQTT_URL',
    default: '',
    help: 'MQTT broker the plant publishes to (mqtt://host:1883): npm start then reads it as the plant file maps it; pdm connect mqtt defaults to mqtt://127.0.0.1:1883',
  },
  {
    name: 'PDM_MQTT_CLIENT_ID',
    default: '',
    help: 'MQTT client id of this worker, fixed so its persistent session outlives a restart (default pdm-<host>)',
  },
  {
    name: 'PDM_MQTT_SHARE',
    default: '',
    help: 'Shared-subscription group: workers with the same group split the stream ($share/<group>/...); unset: one worker reads all',
  },
  {
    name: 'PDM_MQTT_BATCH_MS',
    default: '100',
    help: 'How often received readings are written, then acknowledged (ms)',
  },
  {
    name: 'PDM_MQTT_RECEIVE_MAX',
    default: '2000',
    help: 'Unacknowledged messages the broker may have in flight to one worker (bounds its memory)',
  },
  {
    name: 'PDM_ALERT_WEBHOOK_URL',
    default: '',
    help: 'Alert notifications are POSTed here as JSON (signed, with an idempotency key; retried with back-off); unset: none sent',
  },
  {
    name: 'PDM_ALERT_WEBHOOK_SECRET',
    default: '',
    help: 'HMAC-SHA256 secret of the X-PDM-Signature header of alert notifications',
  },
  {
    name: 'PDM_ALERT_WORK_ORDER_URL',
    default: '',
    help: 'Work orders of top-tier alerts are POSTed here (a CMMS endpoint; fields in docs/alerts.md); unset: none requested',
  },
  {
    name: 'PDM_ALERT_WORK_ORDER_SECRET',
    default: '',
    help: 'HMAC-SHA256 secret of the X-PDM-Signature header of work orders',
  },
  {
    name: 'PDM_ALERT_MQTT_TOPIC',
    default: '',
    help: "Alert notifications are published (QoS 1) to <topic>/<line>/<equipment> on PDM_MQTT_URL's broker, e.g. plant1/pdm/alerts; unset: not published",
  },
  {
    name: 'PDM_MQTT_SIMULATOR',
    default: 'false',
    help: "true: npm start's simulated plant publishes its live telemetry as Sparkplug B to PDM_MQTT_URL and the engine reads it back from there (broker -> engine end to end)",
  },
];

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string {
  const spec = ENV_VARS.find((v) => v.name === name);
  const value = env[name];
  return value === undefined || value === '' ? (spec?.default ?? '') : value;
}

function int(env: Env, name: string, min: number, max: number): number {
  const raw = read(env, name);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `${name}=${shown(raw)}: expected an integer in [${min}, ${max}]`,
    );
  }
  return n;
}

function positive(env: Env, name: string): number {
  const raw = read(env, name);
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0))
    throw new PdmError(ErrorCodes.CONFIG_INVALID, `${name}=${shown(raw)}: expected a number > 0`);
  return n;
}

function bool(env: Env, name: string): boolean {
  const raw = read(env, name).toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new PdmError(ErrorCodes.CONFIG_INVALID, `${name}=${shown(raw)}: expected true or false`);
}

/** A value for an error message, with any URL's user and password masked (never echo a secret). */
function shown(raw: string): string {
  return JSON.stringify(raw.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@'));
}

function parseUrl(env: Env, name: string): URL | undefined {
  const raw = read(env, name);
  if (raw === '') return undefined;
  try {
    return new URL(raw);
  } catch {
    throw new PdmError(ErrorCodes.CONFIG_INVALID, `${name}=${shown(raw)}: not a URL`);
  }
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const httpUrl = parseUrl(env, 'PDM_QUESTDB_HTTP_URL');
  const pgUrl = parseUrl(env, 'PDM_QUESTDB_PG_URL');
  if ((httpUrl === undefined) !== (pgUrl === undefined)) {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      'PDM_QUESTDB_HTTP_URL and PDM_QUESTDB_PG_URL go together: set both to use an existing QuestDB, or neither for the managed one',
    );
  }
  const external = httpUrl !== undefined && pgUrl !== undefined;
  const heap = read(env, 'PDM_QUESTDB_HEAP');
  if (!/^\d+[mg]$/i.test(heap)) {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_QUESTDB_HEAP=${JSON.stringify(heap)}: expected e.g. 512m or 2g`,
    );
  }
  const questdbLog = read(env, 'PDM_QUESTDB_LOG_LEVEL').toUpperCase();
  if (questdbLog !== 'DEBUG' && questdbLog !== 'INFO' && questdbLog !== 'ERROR' && questdbLog !== 'CRITICAL')
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_QUESTDB_LOG_LEVEL=${JSON.stringify(questdbLog)}: expected DEBUG, INFO, ERROR or CRITICAL`,
    );
  const java = read(env, 'PDM_JAVA');
  const readVia = read(env, 'PDM_READ_VIA');
  if (readVia !== 'export' && readVia !== 'csv' && readVia !== 'pg')
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_READ_VIA=${JSON.stringify(readVia)}: expected export, csv or pg`,
    );
  const questdb: QuestDbConfig = {
    external,
    host: external ? (httpUrl as URL).hostname : '127.0.0.1',
    httpPort: external ? Number((httpUrl as URL).port || 9000) : int(env, 'PDM_QUESTDB_HTTP_PORT', 1, 65535),
    pgPort: external ? Number((pgUrl as URL).port || 8812) : int(env, 'PDM_QUESTDB_PG_PORT', 1, 65535),
    ilpTcpPort: int(env, 'PDM_QUESTDB_ILP_TCP_PORT', 1, 65535),
    healthPort: int(env, 'PDM_QUESTDB_HEALTH_PORT', 1, 65535),
    pgUser: external ? decodeURIComponent((pgUrl as URL).username) || 'admin' : 'admin',
    pgPassword: external ? decodeURIComponent((pgUrl as URL).password) || 'quest' : 'quest',
    pgDatabase: external ? (pgUrl as URL).pathname.replace(/^\//, '') || 'qdb' : 'qdb',
    dataDir: path.resolve(cwd, read(env, 'PDM_QUESTDB_DATA_DIR')),
    jar: path.resolve(cwd, read(env, 'PDM_QUESTDB_JAR')),
    java: java === '' ? undefined : java,
    heap,
    logLevel: questdbLog,
    readVia,
  };
  const ingest: IngestConfig = {
    batchRows: int(env, 'PDM_INGEST_BATCH_ROWS', 1, 5_000_000),
    flushTimeoutMs: int(env, 'PDM_INGEST_FLUSH_TIMEOUT_MS', 100, 3_600_000),
    maxRetries: int(env, 'PDM_INGEST_MAX_RETRIES', 0, 100),
  };
  const tablePrefix = read(env, 'PDM_TABLE_PREFIX');
  if (tablePrefix !== '' && !/^[a-z_][a-z0-9_]{0,30}$/.test(tablePrefix)) {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_TABLE_PREFIX=${JSON.stringify(tablePrefix)}: use lowercase letters, digits and _`,
    );
  }
  return {
    tablePrefix,
    // The package's own copy by default, wherever the command runs from.
    dataDir: read(env, 'PDM_DATA_DIR') === '' ? DATASETS_DIR : path.resolve(cwd, read(env, 'PDM_DATA_DIR')),
    modelsDir: path.resolve(cwd, read(env, 'PDM_MODELS_DIR')),
    api: {
      host: read(env, 'PDM_API_HOST'),
      port: int(env, 'PDM_API_PORT', 1, 65535),
      keysFile: path.resolve(cwd, read(env, 'PDM_KEYS_FILE')),
      rateLimitPerMinute: int(env, 'PDM_API_RATE_LIMIT', 0, 100_000_000),
      addressRateLimitPerMinute: int(env, 'PDM_API_ADDRESS_RATE_LIMIT', 0, 100_000_000),
      authFailuresPerMinute: int(env, 'PDM_API_AUTH_FAILURES', 1, 1_000_000),
      trustProxy: trustProxy(read(env, 'PDM_API_TRUST_PROXY')),
      localReadOnly: bool(env, 'PDM_API_LOCAL_READONLY'),
      requestTimeoutMs: int(env, 'PDM_API_REQUEST_TIMEOUT_MS', 1000, 3_600_000),
      headersTimeoutMs: int(env, 'PDM_API_HEADERS_TIMEOUT_MS', 1000, 600_000),
      maxConnections: int(env, 'PDM_API_MAX_CONNECTIONS', 1, 1_000_000),
      ndjsonMaxBytes: int(env, 'PDM_API_NDJSON_MAX_BYTES', 1024, 2 ** 40),
      ndjsonMaxLine: int(env, 'PDM_API_NDJSON_MAX_LINE', 256, 64 << 20),
      logLevel: logLevel(read(env, 'PDM_LOG_LEVEL')),
    },
    questdb,
    ingest,
    jobs: jobsConfig(env),
    models: {
      failureHorizonsHours: horizons(read(env, 'PDM_FAILURE_HORIZONS')),
      alertBudget: positive(env, 'PDM_ALERT_BUDGET'),
      workOrderBudget: positive(env, 'PDM_WORK_ORDER_BUDGET'),
      anomalyAlarmBudget: positive(env, 'PDM_ANOMALY_ALARM_BUDGET'),
      historyDays: int(env, 'PDM_TRAIN_HISTORY_DAYS', 0, 36_500),
      keepUnpromoted: int(env, 'PDM_MODELS_KEEP_UNPROMOTED', 1, 100_000),
    },
    mqtt: mqttConfig(env),
    alerts: {
      webhookUrl: receiverUrl(env, 'PDM_ALERT_WEBHOOK_URL'),
      webhookSecret: read(env, 'PDM_ALERT_WEBHOOK_SECRET'),
      workOrderUrl: receiverUrl(env, 'PDM_ALERT_WORK_ORDER_URL'),
      workOrderSecret: read(env, 'PDM_ALERT_WORK_ORDER_SECRET'),
      mqttTopic: alertTopic(env),
    },
  };
}

function alertTopic(env: Env): string | undefined {
  const t = read(env, 'PDM_ALERT_MQTT_TOPIC');
  if (t === '') return undefined;
  if (!/^[^+#\s]{1,200}$/.test(t) || t.startsWith('/') || t.endsWith('/') || t.startsWith('$'))
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_ALERT_MQTT_TOPIC=${shown(t)}: a topic root (e.g. plant1/pdm/alerts): no + # or spaces, no leading $ or /, no trailing /`,
    );
  if (parseUrl(env, 'PDM_MQTT_URL') === undefined)
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      'PDM_ALERT_MQTT_TOPIC needs PDM_MQTT_URL: the broker alerts are published to',
    );
  return t;
}

function receiverUrl(env: Env, name: string): string | undefined {
  const url = parseUrl(env, name);
  if (url !== undefined && url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `${name}=${shown(url.toString())}: expected http:// or https://`,
    );
  return url?.toString();
}

function mqttConfig(env: Env): MqttConfig {
  const url = parseUrl(env, 'PDM_MQTT_URL');
  if (url !== undefined && !['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(url.protocol))
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_MQTT_URL=${shown(url.toString())}: expected mqtt://, mqtts://, ws:// or wss://`,
    );
  const share = read(env, 'PDM_MQTT_SHARE');
  if (share !== '' && !/^[A-Za-z0-9_.-]{1,64}$/.test(share))
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_MQTT_SHARE=${shown(share)}: a group name is letters, digits, _ . - (no / + #)`,
    );
  const clientId = read(env, 'PDM_MQTT_CLIENT_ID') || `pdm-${hostname()}`;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(clientId))
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_MQTT_CLIENT_ID=${shown(clientId)}: letters, digits, _ . : - and at most 64 of them`,
    );
  const simulatorPublishes = bool(env, 'PDM_MQTT_SIMULATOR');
  if (simulatorPublishes && url === undefined)
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      'PDM_MQTT_SIMULATOR=true needs PDM_MQTT_URL: the broker the simulated plant publishes to',
    );
  return {
    url: url?.toString(),
    clientId,
    share: share === '' ? undefined : share,
    batchMs: int(env, 'PDM_MQTT_BATCH_MS', 10, 60_000),
    receiveMaximum: int(env, 'PDM_MQTT_RECEIVE_MAX', 1, 65_535),
    simulatorPublishes,
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
function logLevel(raw: string): string {
  if (!LOG_LEVELS.includes(raw))
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_LOG_LEVEL=${shown(raw)}: expected one of ${LOG_LEVELS.join(', ')}`,
    );
  return raw;
}

function trustProxy(raw: string): boolean | number | string[] {
  const s = raw.trim();
  if (s === '' || s === 'false') return false;
  if (s === 'true') return true;
  if (/^\d{1,2}$/.test(s)) return Number(s);
  const parts = s.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p));
  if (bad !== undefined)
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_API_TRUST_PROXY=${shown(raw)}: ${JSON.stringify(bad)} is not an address or CIDR (or use true or a hop count)`,
    );
  return parts;
}

function horizons(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const hours = parts.map(Number);
  const bad = parts.find(
    (s, i) => !/^\d+$/.test(s) || !((hours[i] as number) > 0 && (hours[i] as number) <= 8760),
  );
  if (bad !== undefined || new Set(hours).size !== hours.length) {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_FAILURE_HORIZONS=${shown(raw)}: expected distinct whole hours (1-8760), comma-separated, e.g. "24,72"` +
        (bad !== undefined ? ` (${JSON.stringify(bad)} is not one)` : ''),
    );
  }
  return hours;
}

function jobsConfig(env: Env): JobsConfig {
  const schedules = {} as Record<JobName, string>;
  for (const job of JOB_NAMES) {
    const name = `PDM_JOB_${job.toUpperCase()}_CRON`;
    // An explicitly empty variable disables the job; an unset one takes the default.
    const raw = env[name] === '' ? '' : read(env, name).trim();
    if (raw !== '' && !cron.validate(raw)) {
      throw new PdmError(
        ErrorCodes.CONFIG_INVALID,
        `${name}=${shown(raw)}: not a cron expression (e.g. "*/5 * * * *"; "" disables the job)`,
      );
    }
    schedules[job] = raw;
  }
  const metric = read(env, 'PDM_RETRAIN_METRIC');
  if (metric !== 'brier' && metric !== 'roc_auc') {
    throw new PdmError(
      ErrorCodes.CONFIG_INVALID,
      `PDM_RETRAIN_METRIC=${JSON.stringify(metric)}: expected brier or roc_auc`,
    );
  }
  const pg = parseUrl(env, 'PDM_POSTGRES_URL');
  return {
    schedules,
    postgresUrl: pg?.toString(),
    staleAfterSeconds: int(env, 'PDM_JOB_STALE_SECONDS', 10, 30 * 86400),
    retrainMetric: metric,
  };
}

/** The `| variable | default | meaning |` table printed by `pdm --help`. */
export function describeEnv(): string {
  const width = Math.max(...ENV_VARS.map((v) => v.name.length));
  return ENV_VARS.map(
    (v) => `  ${v.name.padEnd(width)}  ${v.help}${v.default ? ` (default ${v.default})` : ''}`,
  ).join('\n');
}
