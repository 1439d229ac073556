/** Scheduler forecasts: every equipment ranked by risk, with the running batch and a maintenance window; JSON or CSV. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { plantForecasts } from '../../../pipelines/forecast.ts';
import { toCsv } from '../csv.ts';
import { answers, Id, Nullable, Open } from '../schemas.ts';

const ForecastQuery = Type.Object(
  {
    horizon: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'hours (default 24)' })),
    line: Type.Optional(Id('only this line')),
    site: Type.Optional(Id('only this site')),
  },
  { additionalProperties: false },
);

const Forecast = Open({
  equipment: Type.String(),
  status: Type.String({ description: 'ok, or insufficient_data (no probability then)' }),
  site: Nullable(Type.String()),
  line: Nullable(Type.String()),
  equipment_class: Nullable(Type.String()),
  forecast_at: Type.String({ description: 'UTC' }),
  probability: Nullable(Type.Number()),
  rul_h: Nullable(Type.Number()),
  rul_lo_h: Nullable(Type.Number()),
  rul_hi_h: Nullable(Type.Number()),
  model_version: Type.String(),
  health: Nullable(
    Type.Number({ description: 'anomaly model health index, 1 healthy ... 0 (null without one)' }),
  ),
  health_driver: Nullable(Type.String({ description: 'sensor departing most from normal while in alarm' })),
  running_batch: Nullable(Open({})),
  planned_batches: Type.Array(Open({})),
  running_until: Nullable(Type.String()),
  maintenance_window: Nullable(Open({ start: Type.String(), end: Type.String() })),
  no_window: Nullable(Open({})),
  by_mode: Open({}),
});

const HEAD = [
  'equipment',
  'line',
  'probability',
  'rul_h',
  'rul_lo_h',
  'rul_hi_h',
  'running_batch',
  'running_order',
  'window_start',
  'window_end',
  'forecast_at',
  'model_version',
  'health',
];

const forecasts: FastifyPluginAsyncTypebox = async (app) => {
  const { store, scorer } = app.services;
  app.get(
    '/v1/forecasts',
    {
      schema: {
        summary:
          'Latest forecast per equipment ranked by risk, with the running batch and a maintenance window (Accept: text/csv for CSV)',
        tags: ['scheduling'],
        querystring: ForecastQuery,
        response: answers(
          Type.Object({
            horizon_h: Type.Integer(),
            horizons_h: Type.Array(Type.Integer(), {
              description: 'the horizons a failure model serves (any mode), shortest first',
            }),
            forecasts: Type.Array(Forecast),
          }),
        ),
      },
      config: { roles: ['scheduler'], store: true },
    },
    async (req, reply) => {
      const horizon = Number(req.query.horizon ?? 24);
      const rows = await plantForecasts(store, horizon, { line: req.query.line, site: req.query.site });
      if ((req.headers.accept ?? '').includes('text/csv')) {
        const csv = toCsv(
          HEAD,
          rows.map((r) => [
            r.equipment,
            r.line,
            r.probability,
            r.rul_h,
            r.rul_lo_h,
            r.rul_hi_h,
            r.running_batch?.batch_id,
            r.running_batch?.order_id,
            r.maintenance_window?.start,
            r.maintenance_window?.end,
            r.forecast_at,
            r.model_version,
            r.health,
          ]),
        );
        // A string with a non-JSON type is sent as it is (the response schema is for the JSON answer).
        return reply.type('text/csv; charset=utf-8').send(csv as never);
      }
      const served = new Set<number>();
      for (const s of scorer.current.scorers) {
        if (s.failure) served.add(s.failure.horizonHours);
        for (const h of s.byHorizon.keys()) served.add(h);
      }
      return { horizon_h: horizon, horizons_h: [...served].sort((a, b) => a - b), forecasts: rows };
    },
  );
};

export default forecasts;
