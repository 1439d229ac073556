/**
 * The HTTP API (fastify), schema first: every body and query is validated strictly (no type
 * coercion, unknown fields rejected) and errors are problem+json naming the field.
 * Routes: operations (/health, /ready, /metrics), MES scoring, scheduler forecasts, MES context
 * and telemetry intake (routes/intake.ts), equipment and its health (routes/equipment.ts),
 * reliability analyses, the model registry and job runs; OpenAPI 3 at /docs/json, a UI at /docs.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { FeatureSet } from '../../features/index.ts';
import type { ModelRegistry } from '../../models/index.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import { PLANT_FEATURES } from '../../pipelines/feature-sets.ts';
import { plantForecasts } from '../../pipelines/forecast.ts';
import { registerEquipment } from './routes/equipment.ts';
import { registerIntake } from './routes/intake.ts';
import { reliabilityAnalysis } from '../../pipelines/reliability.ts';
import { parseIsoMicros } from '../ingest/index.ts';
import type { LiveScorer } from '../scoring/scorer.ts';
import type { KeyStore, Role } from './keys.ts';
import { StoreRunLog } from '../jobs/run-log.ts';
import type { EngineJobs } from '../jobs/engine.ts';
import { ping, TELEMETRY_SENSORS } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { errorHandler, sendProblem } from './problem.ts';

export interface ApiDeps {
  readonly store: Store;
  readonly registry: ModelRegistry;
  readonly scorer: LiveScorer;
  readonly keys: KeyStore;
  /** The scheduler when this process runs the jobs; the run history is read from the store either way. */
  readonly jobs?: EngineJobs;
  /** The feature set the models were trained on (default the plant's). */
  readonly featureSet?: FeatureSet;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route (admin always is); absent: no key needed. */
    roles?: readonly Role[];
  }
}

const sensorValues = Object.fromEntries(
  TELEMETRY_SENSORS.map((n) => [n, Type.Optional(Type.Union([Type.Number(), Type.Null()]))]),
);
const ScoreBody = Type.Object(
  {
    equipment: Type.String({ minLength: 1, maxLength: 128 }),
    at: Type.Optional(
      Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 instant; default now' }),
    ),
    readings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            ts: Type.Union([Type.String({ format: 'date-time' }), Type.Number({ minimum: 0 })]),
            ...sensorValues,
          },
          { additionalProperties: false },
        ),
        { maxItems: 3600, description: 'latest readings the engine may not have ingested yet (not stored)' },
      ),
    ),
    mes: Type.Optional(
      Type.Object(
        {
          order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          batch_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          product: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          recipe: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          batch_end: Type.Optional(
            Type.String({ format: 'date-time', description: 'planned end of the running batch' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const isLoopback = (a: string | undefined) =>
  a !== undefined && (a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.'));

/** The dashboard's built files (npm run build:dashboard). */
const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    // Strict: "12" is not 12, and an unknown field is an error, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(errorHandler);
  // OpenAPI 3 from the same route schemas that validate requests, with a UI at /docs.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'pdm-engine',
        version: '0.1.0',
        description: 'Predictive maintenance: scoring, forecasts, models',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Per key (its public id), after authentication; per address for routes without a key.
  const perMinute = deps.store.config.api.rateLimitPerMinute;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => {
        const auth = req.headers.authorization ?? (req.headers['x-api-key'] as string | undefined) ?? '';
        return /pdm_([0-9a-f]{12})_/.exec(auth)?.[1] ?? req.ip;
      },
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        type: 'about:blank',
        title: 'Too many requests',
        status: 429,
        detail: `more than ${ctx.max} requests per minute for this key; retry in ${ctx.after}`,
      }),
    });
  }
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: `no route ${req.method} ${req.url}`,
    }),
  );

  // API keys: `Authorization: Bearer pdm_...` or `x-api-key`. Missing or wrong: 401; wrong role: 403.
  app.addHook('onRequest', async (req, reply) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) return;
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ')
      ? auth.slice(7)
      : (req.headers['x-api-key'] as string | undefined);
    // Read-only views from this machine need no key (the dashboard on localhost), unless turned off.
    if (
      presented === undefined &&
      req.method === 'GET' &&
      deps.store.config.api.localReadOnly &&
      isLoopback(req.socket.remoteAddress) &&
      (roles.includes('engineer') || roles.includes('scheduler'))
    )
      return;
    const role = deps.keys.verify(presented);
    if (role === undefined) {
      return sendProblem(reply.header('www-authenticate', 'Bearer'), {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail:
          presented === undefined
            ? 'an API key is required (Authorization: Bearer pdm_...)'
            : 'unknown or wrong API key',
      });
    }
    if (role !== 'admin' && !roles.includes(role)) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: 'Forbidden',
        status: 403,
        detail: `role ${role} may not call ${req.method} ${req.routeOptions.url}; allowed: ${roles.join(', ')}, admin`,
      });
    }
  });

  // Prometheus metrics: request latency by route and status, scores served (registry per app).
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const latency = new Histogram({
    name: 'pdm_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });
  const scores = new Counter({
    name: 'pdm_scores_total',
    help: 'Scores served',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (route === '/v1/score') scores.inc({ outcome: reply.statusCode < 400 ? 'ok' : 'error' });
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_req, reply) => {
    const questdb = await ping(deps.store.config.questdb);
    const models = deps.scorer.current.ready;
    if (!questdb || !models) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: 'Not ready',
        status: 503,
        detail:
          `${questdb ? '' : 'QuestDB does not answer; '}${models ? '' : 'no promoted model loaded (pdm train failure)'}`.trim(),
      });
    }
    return {
      status: 'ready',
      questdb,
      models: [deps.scorer.current.failure?.model.meta.name, deps.scorer.current.rul?.model.meta.name].filter(
        Boolean,
      ),
    };
  });

  app.get('/v1/models', { config: { roles: ['engineer'] } }, async () => ({
    models: deps.registry.names().map((name) => {
      const versions = deps.registry.versions(name);
      const promoted = deps.registry.promoted(name);
      const meta = promoted ? deps.registry.meta(name, promoted) : undefined;
      return {
        name,
        versions,
        promoted,
        // What answers for this name: the model if it beat its references out of sample, else the
        // reference it lost to, and why (the gate's verdict on the promoted version).
        answered_by:
          meta === undefined ? null : meta.gate === undefined || meta.gate.passed ? 'model' : meta.gate.serve,
        gate: meta?.gate ?? null,
        baselines: meta?.baselines ?? [],
        alert_threshold: meta?.alertThreshold ?? null,
        intervals: meta?.intervals ?? null,
        target: meta?.target ?? null,
        metrics: meta?.metrics ?? {},
        feature_set: meta?.featureSet ?? null,
        created_at: meta?.createdAt ?? null,
        training_window: meta?.trainingWindow ?? null,
        backtest: promoted ? deps.registry.backtest(name, promoted) : null,
        challenges: deps.registry.challenges(name).slice(-10),
      };
    }),
  }));

  const ForecastQuery = Type.Object(
    {
      horizon: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'hours (default 24)' })),
      line: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      site: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    },
    { additionalProperties: false },
  );
  app.get(
    '/v1/forecasts',
    { schema: { querystring: ForecastQuery }, config: { roles: ['scheduler'] } },
    async (req, reply) => {
      const rows = await plantForecasts(deps.store, Number(req.query.horizon ?? 24), {
        line: req.query.line,
        site: req.query.site,
      });
      if ((req.headers.accept ?? '').includes('text/csv')) {
        const head =
          'equipment,line,probability,rul_h,rul_lo_h,rul_hi_h,running_batch,running_order,window_start,window_end,forecast_at,model_version';
        const csv = rows.map((r) =>
          [
            r.equipment,
            r.line ?? '',
            r.probability,
            r.rul_h,
            r.rul_lo_h,
            r.rul_hi_h,
            r.running_batch?.batch_id ?? '',
            r.running_batch?.order_id ?? '',
            r.maintenance_window?.start ?? '',
            r.maintenance_window?.end ?? '',
            r.forecast_at,
            r.model_version,
          ].join(','),
        );
        return reply.type('text/csv').send([head, ...csv].join('\n') + '\n');
      }
      return { horizon_h: Number(req.query.horizon ?? 24), forecasts: rows };
    },
  );

  const ReliabilityQuery = Type.Object(
    {
      equipmentClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      mode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    },
    { additionalProperties: false },
  );
  app.get(
    '/v1/analyses/reliability',
    { schema: { querystring: ReliabilityQuery }, config: { roles: ['engineer'] } },
    async (req) => {
      const r = await reliabilityAnalysis(deps.store, {
        equipmentClass: req.query.equipmentClass,
        mode: req.query.mode,
      });
      // JSON has no Infinity: an MTBF without failures is null.
      return { ...r, mtbf_h: Number.isFinite(r.mtbf_h) ? r.mtbf_h : null };
    },
  );

  const JobsQuery = Type.Object(
    {
      job: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' })),
      limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'runs (default 50)' })),
    },
    { additionalProperties: false },
  );
  const runLog = deps.jobs?.log ?? new StoreRunLog(deps.store);
  app.get(
    '/v1/jobs',
    { schema: { querystring: JobsQuery }, config: { roles: ['engineer', 'scheduler'] } },
    async (req) => ({
      leader: deps.jobs === undefined ? null : deps.jobs.leader.isLeader(),
      leadership: deps.jobs?.leader.describe ?? 'jobs do not run in this process',
      jobs: deps.jobs?.scheduler.status() ?? [],
      runs: await runLog.recent(req.query.job ?? '', Math.min(1000, Number(req.query.limit ?? 50))),
    }),
  );

  app.post('/v1/score', { schema: { body: ScoreBody }, config: { roles: ['mes'] } }, async (req, reply) => {
    const at = req.body.at === undefined ? Date.now() * 1000 : parseIsoMicros(req.body.at);
    if (Number.isNaN(at)) {
      return sendProblem(reply, {
        type: 'about:blank',
        title: 'Invalid request',
        status: 400,
        detail: 'body.at: not an ISO 8601 instant',
        field: 'body.at',
      });
    }
    const { readings, mes } = req.body;
    return deps.scorer.current.score(req.body.equipment, at, undefined, {
      // Without `at` the score is for now: from the live window, cached per equipment.
      live: req.body.at === undefined,
      readings: readings?.map((r) => {
        const { ts, ...values } = r;
        return { ts: typeof ts === 'number' ? ts * 1000 : parseIsoMicros(ts), values };
      }),
      mes:
        mes === undefined
          ? undefined
          : {
              ...mes,
              batch_end: mes.batch_end === undefined ? undefined : parseIsoMicros(mes.batch_end),
            },
    });
  });

  // The dashboard: static files at /, data from /v1 only.
  if (existsSync(path.join(DASHBOARD_DIR, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/',
      wildcard: true,
      index: 'index.html',
    });
  } else {
    app.get('/', (_req, reply) =>
      sendProblem(reply, {
        type: 'about:blank',
        title: 'Dashboard not built',
        status: 503,
        detail: `no ${path.join(DASHBOARD_DIR, 'index.html')}`,
        hint: 'npm run build:dashboard (npm run setup does it)',
      }),
    );
  }

  registerIntake(app, deps.store);
  registerEquipment(app, deps.store, deps.scorer, deps.featureSet ?? PLANT_FEATURES);

  await app.ready();
  return app;
}
