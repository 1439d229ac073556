/**
 * The HTTP API (fastify) in fastify/demo's shape: this file only creates the instance and
 * registers, in order, external plugins (security headers, OpenAPI, the per-address rate limit),
 * app plugins (the engine's services as decorators, problem+json errors, logging, store health,
 * auth, metrics), then one route file per group, then the dashboard's static files. Each hardening
 * lives in the one plugin that owns it.
 *
 * Every body and query is validated strictly (no type coercion, unknown fields rejected), every
 * answer has a schema, and every error is problem+json naming the field.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ModelRegistry } from '../../models/index.ts';
import type { EngineJobs } from '../jobs/engine.ts';
import type { LiveScorer } from '../scoring/scorer.ts';
import type { Store } from '../store/index.ts';
import type { KeyStore } from './keys.ts';
import auth from './plugins/app/auth.ts';
import inflight from './plugins/app/inflight.ts';
import logging, { loggerOptions } from './plugins/app/logging.ts';
import metrics from './plugins/app/metrics.ts';
import problems, { frameworkError } from './plugins/app/problem.ts';
import services from './plugins/app/services.ts';
import storeHealth from './plugins/app/store-health.ts';
import helmet from './plugins/external/helmet.ts';
import addressLimit from './plugins/external/rate-limit.ts';
import dashboard from './plugins/external/static.ts';
import swagger from './plugins/external/swagger.ts';
import alerts from './routes/alerts.ts';
import analyses from './routes/analyses.ts';
import equipment from './routes/equipment.ts';
import forecasts from './routes/forecasts.ts';
import intake from './routes/intake.ts';
import jobs from './routes/jobs.ts';
import models from './routes/models.ts';
import ops from './routes/ops.ts';
import plant from './routes/plant.ts';
import score from './routes/score.ts';

export interface ApiDeps {
  readonly store: Store;
  readonly registry: ModelRegistry;
  readonly scorer: LiveScorer;
  readonly keys: KeyStore;
  /** The scheduler when this process runs the jobs; the run history is read from the store either way. */
  readonly jobs?: EngineJobs;
}

export interface ApiOptions {
  /** Where the JSON log lines go (default stderr). */
  readonly logStream?: NodeJS.WritableStream;
  /** Log level (default PDM_LOG_LEVEL). */
  readonly logLevel?: string;
  /** How often QuestDB is pinged for the store's health (default 2,000 ms; 0: only when asked). */
  readonly storeCheckMs?: number;
}

export async function buildApp(deps: ApiDeps, options: ApiOptions = {}): Promise<FastifyInstance> {
  const cfg = deps.store.config.api;
  const serverOptions: FastifyServerOptions = {
    ...loggerOptions(options.logLevel ?? cfg.logLevel, options.logStream),
    bodyLimit: 1 << 20,
    // A hop count is accepted by fastify (proxy-addr) though its types omit it.
    trustProxy: cfg.trustProxy as FastifyServerOptions['trustProxy'],
    requestTimeout: cfg.requestTimeoutMs,
    connectionTimeout: cfg.requestTimeoutMs * 2,
    keepAliveTimeout: 5_000,
    frameworkErrors: frameworkError,
    // Strict: "12" is not 12, and an unknown field is an error, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  };
  const app = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = cfg.headersTimeoutMs;
  app.server.maxConnections = cfg.maxConnections;

  // Before any route: every handler is tracked, and close waits for those still running.
  await app.register(inflight);
  // The engine's services first: every other plugin reads its configuration from them.
  await app.register(services, { services: deps });
  await app.register(problems);
  await app.register(logging);

  // External plugins.
  await app.register(helmet);
  await app.register(swagger);
  await app.register(addressLimit);

  // App plugins: the order of their onRequest hooks is the order here.
  await app.register(storeHealth, { everyMs: options.storeCheckMs });
  await app.register(auth);
  await app.register(metrics);

  // Routes, one file per group.
  await app.register(ops);
  await app.register(score);
  await app.register(forecasts);
  await app.register(intake);
  await app.register(equipment);
  await app.register(analyses);
  await app.register(models);
  await app.register(jobs);
  await app.register(plant);
  await app.register(alerts);
  await app.register(dashboard);

  await app.ready();
  return app;
}
