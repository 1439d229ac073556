/**
 * Real-time scoring for the MES: failure probability within the horizons, RUL with its interval,
 * quality drift, the top features and a recommended action, joined with the MES context given.
 * Without `at` the score is for now, from the live window; every instant is read strictly.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { answers, Id, Nullable, Open, Time } from '../schemas.ts';
import { InvalidInput } from '../plugins/app/problem.ts';
import { instant, readingTime } from '../times.ts';

const ScoreBody = Type.Object(
  {
    equipment: Id('equipment id'),
    at: Type.Optional(Time('instant to score at; default now, from the live window')),
    readings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            ts: Type.Union([
              Time('reading time'),
              Type.Number({ minimum: 0, description: 'epoch milliseconds' }),
            ]),
          },
          {
            additionalProperties: Type.Union([Type.Number(), Type.Null()], {
              description: "a sensor of the equipment's class (plant file)",
            }),
          },
        ),
        { maxItems: 3600, description: 'latest readings the engine may not have ingested yet (not stored)' },
      ),
    ),
    mes: Type.Optional(
      Type.Object(
        {
          order_id: Type.Optional(Id('running order')),
          batch_id: Type.Optional(Id('running batch')),
          product: Type.Optional(Id('product code')),
          recipe: Type.Optional(Id('recipe')),
          batch_end: Type.Optional(Time('planned end of the running batch')),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Forecast = Open({ probability: Type.Number(), horizon_h: Type.Number(), model: Type.String() });
const ScoreReply = Open(
  {
    equipment: Type.String(),
    at: Type.String({ description: 'UTC instant scored' }),
    status: Type.String({ description: 'ok, or insufficient_data (no forecast then; see insufficient)' }),
    insufficient: Nullable(Open({})),
    readings: Type.Integer(),
    readings_from_request: Type.Integer(),
    mes: Nullable(Open({})),
    quality: Type.Array(Open({})),
    quality_error: Nullable(Type.String({ description: 'why quality drift could not be forecast' })),
    recommended_action: Open({}),
    failure: Nullable(Forecast),
    failure_by_horizon: Type.Array(Forecast),
    failure_by_mode: Type.Array(Forecast),
    rul: Nullable(
      Open({ hours: Type.Number(), low: Type.Number(), high: Type.Number(), model: Type.String() }),
    ),
    top_features: Type.Array(Open({ feature: Type.String(), contribution: Type.Number() })),
    anomaly: Nullable(
      Open(
        {
          health: Type.Number({
            description: '1 healthy ... 0; 0.5 = as unusual as the 1 % most unusual normal instants',
          }),
          percentile: Type.Number({ description: 'share of normal instants at least as normal' }),
          alarm: Type.Boolean(),
          alarm_health: Type.Number(),
          model: Type.String(),
          drivers: Type.Array(Open({ feature: Type.String(), sensor: Type.String(), z: Type.Number() })),
        },
        'the health index of the anomaly model (learnt from normal operation), with the features furthest from normal',
      ),
    ),
    answered_by: Open(
      {
        risk: Type.String({ description: 'failure_model, failure_baseline, anomaly or none' }),
        reason: Type.String(),
      },
      'which model the risk rests on, and why',
    ),
  },
  'a score: forecasts, drift, recommendation and the features behind them',
);

/**
 * A live score is one object answered to every request until its equipment's next reading (or the
 * next 5-s context bucket): its JSON is written once, by the route's own response serializer, and
 * kept beside it (a WeakMap: it goes with the score). Serializing it took a tenth of the route's
 * CPU held at 2,000 requests/s (CPU profile of `npm run bench:api -- --server inline --profile`).
 */
const liveJson = new WeakMap<object, string>();

/** A request's readings, each naming only sensors the equipment's models read; else a 400 naming it. */
function requestReadings(
  equipment: string,
  readings: readonly ({ ts: string | number } & Record<string, string | number | null>)[],
  modelSensors: readonly string[],
) {
  const sensors = new Set(modelSensors);
  return readings.map((r, i) => {
    const { ts, ...values } = r;
    const unknown = Object.keys(values).find((k) => !sensors.has(k));
    if (unknown !== undefined)
      throw new InvalidInput(
        `body.readings.${i}.${unknown}`,
        `not a sensor the models of ${equipment} read (${[...sensors].join(', ')})`,
      );
    return { ts: readingTime(ts, `body.readings.${i}.ts`), values: values as Record<string, number | null> };
  });
}

const score: FastifyPluginAsyncTypebox = async (app) => {
  const { scorer } = app.services;
  app.post(
    '/v1/score',
    {
      schema: {
        summary:
          'Score one equipment now (live) or at an instant, with readings and MES context from the request',
        tags: ['scoring'],
        body: ScoreBody,
        response: answers(ScoreReply),
      },
      config: { roles: ['mes'], store: true },
    },
    async (req, reply) => {
      const { readings, mes } = req.body;
      // Every instant is read before anything is scored: a bad one is a 400 naming it.
      const now = Date.now() * 1000;
      const at = req.body.at === undefined ? now : instant(req.body.at, 'body.at');
      if (at > now + 300e6)
        throw new InvalidInput(
          'body.at',
          `${req.body.at} is in the future: a score reads the readings up to its instant (leave at out for now)`,
        );
      // Readings name sensors of the equipment's model scope (the plant file's classes).
      const extra =
        readings === undefined
          ? undefined
          : requestReadings(
              req.body.equipment,
              readings,
              scorer.current.scorerFor(req.body.equipment).scope.featureSet.sensors,
            );
      const batchEnd =
        mes?.batch_end === undefined ? undefined : instant(mes.batch_end, 'body.mes.batch_end');
      // A score at a past instant may wait for the stored-window gate: aborted when the connection
      // closes before the answer is written (the client gave up). Live scores never wait there.
      let signal: AbortSignal | undefined;
      if (req.body.at !== undefined) {
        const gone = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) gone.abort();
        });
        signal = gone.signal;
      }
      const live = req.body.at === undefined;
      const result = await scorer.current.score(req.body.equipment, at, undefined, {
        live,
        shed: true,
        signal,
        readings: extra,
        mes: mes === undefined ? undefined : { ...mes, batch_end: batchEnd },
      });
      if (!live || (extra?.length ?? 0) > 0) return result;
      let json = liveJson.get(result);
      if (json === undefined) {
        // The route's serializer (the reply schema's) gives a string: what fastify would send.
        json = reply.serialize(result) as string;
        liveJson.set(result, json);
      }
      // A string with a JSON content type is sent as it is (fastify serializes objects only).
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(json);
    },
  );
};

export default score;
