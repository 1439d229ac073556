/** The model registry: versions, what answers for each name (the model or the reference it lost to), backtests. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { answers, Nullable, Open } from '../schemas.ts';

const ModelEntry = Open({
  name: Type.String(),
  scope: Nullable(Type.String({ description: 'the model scope: a class, or the pooled small classes' })),
  classes: Type.Array(Type.String()),
  kind: Nullable(Type.String({ description: 'failure-classifier or rul-forest' })),
  horizon_h: Nullable(Type.Number({ description: "a failure model's horizon (hours)" })),
  mode: Nullable(Type.String({ description: "a failure model's mode (any, or one of its classes' modes)" })),
  served: Type.Boolean({
    description:
      'false when the plant in force has no such scope, or changed its feature set since (retrain to serve it)',
  }),
  versions: Type.Array(Type.String()),
  promoted: Nullable(Type.String()),
  answered_by: Nullable(
    Type.String({ description: '"model", or the reference answering because the gate failed' }),
  ),
  gate: Nullable(Open({})),
  baselines: Type.Array(Open({})),
  alert_threshold: Nullable(Type.Number()),
  work_order_threshold: Nullable(
    Type.Number({
      description:
        'where the work-order tier starts, chosen for the work-order budget (null: halfway from the alert threshold to 1)',
    }),
  ),
  intervals: Nullable(Type.Array(Open({}))),
  target: Nullable(Type.String()),
  metrics: Open({}),
  feature_set: Nullable(Type.String()),
  created_at: Nullable(Type.String()),
  training_window: Nullable(Open({})),
  backtest: Nullable(Open({})),
  challenges: Type.Array(Open({})),
});

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, scorer } = app.services;
  app.get(
    '/v1/models',
    {
      schema: {
        summary:
          'Registered models: versions, the promoted one, its gate verdict, references, backtest and challenges',
        tags: ['models'],
        response: answers(Type.Object({ models: Type.Array(ModelEntry) })),
      },
      config: { roles: ['engineer'] },
    },
    async () => ({
      models: registry.names().map((name) => {
        const versions = registry.versions(name);
        const promoted = registry.promoted(name);
        const meta = promoted ? registry.meta(name, promoted) : undefined;
        const scope = meta?.scope === undefined ? undefined : scorer.current.scope(meta.scope)?.scope;
        return {
          name,
          scope: meta?.scope ?? null,
          classes: [...(meta?.classes ?? [])],
          kind: meta?.kind ?? null,
          horizon_h: meta?.horizonHours ?? null,
          mode: meta?.mode ?? null,
          served: scope !== undefined && meta?.featureSetHash === scope.featureSet.hash,
          versions,
          promoted,
          // What answers for this name: the model if it beat its references out of sample, else the
          // reference it lost to, and why (the gate's verdict on the promoted version).
          answered_by:
            meta === undefined
              ? null
              : meta.gate === undefined || meta.gate.passed
                ? 'model'
                : meta.gate.serve,
          gate: meta?.gate ?? null,
          baselines: meta?.baselines ?? [],
          alert_threshold: meta?.alertThreshold ?? null,
          work_order_threshold: meta?.workOrderThreshold ?? null,
          intervals: meta?.intervals ?? null,
          target: meta?.target ?? null,
          metrics: meta?.metrics ?? {},
          feature_set: meta?.featureSet ?? null,
          created_at: meta?.createdAt ?? null,
          training_window: meta?.trainingWindow ?? null,
          backtest: promoted ? registry.backtest(name, promoted) : null,
          challenges: registry.challenges(name).slice(-10),
        };
      }),
    }),
  );
};

export default models;
