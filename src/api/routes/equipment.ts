/** The plant's equipment: the ISA-95 list with the latest forecast, and one equipment's health over time. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { equipmentHealth } from '../../../pipelines/equipment-health.ts';
import { microsToIso, parseTimestampMicros, query, sql, telemetrySensors } from '../../store/index.ts';
import type { EquipmentPlace as Place } from '../../store/index.ts';
import { errorMessage } from '../../errors.ts';
import { currentPlant } from '../../plant/index.ts';
import { InvalidInput, sendProblem, titleOf } from '../plugins/app/problem.ts';
import { answers, Id, Nullable, Open, Time } from '../schemas.ts';
import { instant } from '../times.ts';

const HealthQuery = Type.Object(
  {
    hours: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,3}$', description: 'hours of history (default 24, at most 720)' }),
    ),
    step: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,6}$', description: 'bucket seconds (default: about 300 buckets)' }),
    ),
    at: Type.Optional(Time('end of the window (default now)')),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Id('equipment id') });

const equipment: FastifyPluginAsyncTypebox = async (app) => {
  const { store, scorer } = app.services;
  const places = async () =>
    (await query<Place>(store.pool, sql('equipment_current', store.tables))).rows.sort((a, b) =>
      a.equipment.localeCompare(b.equipment),
    );

  app.get(
    '/v1/equipment',
    {
      schema: {
        summary: 'Every equipment in the ISA-95 tree with its latest reading time (UTC)',
        tags: ['equipment'],
        response: answers(
          Type.Object({ equipment: Type.Array(Open({ last_reading: Nullable(Type.String()) })) }),
        ),
      },
      config: { roles: ['engineer', 'scheduler', 'mes'], store: true },
    },
    async () => {
      const last = await query<{ equipment: string; last_ts: string }>(
        store.pool,
        sql('telemetry_last_seen', store.tables),
      );
      const seen = new Map(last.rows.map((r) => [r.equipment, microsToIso(parseTimestampMicros(r.last_ts))]));
      return {
        equipment: (await places()).map((p) => ({ ...p, last_reading: seen.get(p.equipment) ?? null })),
      };
    },
  );

  app.get(
    '/v1/equipment/:id/health',
    {
      schema: {
        summary:
          'Recent readings (bucketed, with a rolling 1 h band), maintenance, batches, data events, forecasts over time and the latest score',
        tags: ['equipment'],
        params: Params,
        querystring: HealthQuery,
        response: answers(
          Open({ latest_score: Nullable(Open({})), latest_score_error: Nullable(Type.String()) }),
        ),
      },
      config: { roles: ['engineer', 'scheduler'], store: true },
    },
    async (req, reply) => {
      const id = req.params.id;
      const place = (await places()).find((p) => p.equipment === id);
      if (place === undefined) {
        return sendProblem(reply, {
          title: titleOf(404),
          status: 404,
          detail: `no equipment ${JSON.stringify(id)}`,
          hint: 'GET /v1/equipment lists the known equipment',
        });
      }
      const hours = Number(req.query.hours ?? 24);
      if (hours < 1 || hours > 720) throw new InvalidInput('querystring.hours', 'must be in [1, 720]');
      const step = Number(req.query.step ?? Math.max(10, Math.round((hours * 3600) / 300)));
      if (step < 1 || (hours * 3600) / step > 5000)
        throw new InvalidInput(
          'querystring.step',
          `at most 5000 buckets: use a step of at least ${Math.ceil((hours * 3600) / 5000)} s`,
        );
      const at = req.query.at === undefined ? Date.now() * 1000 : instant(req.query.at, 'querystring.at');
      // The sensors of its class in the plant in force; equipment the plant file does not list shows
      // whichever stored sensors have values in the window.
      const p = (await currentPlant(store))?.plant;
      const cls = p?.classes[p.equipment.find((e) => e.id === id)?.class ?? ''];
      const declared = cls?.sensors.map((x) => x.name);
      const all = await equipmentHealth(
        store,
        id,
        declared ?? (await telemetrySensors(store)),
        at,
        hours,
        step,
      );
      const health =
        declared === undefined
          ? { ...all, sensors: all.sensors.filter((t) => t.mean.some((v) => v !== null)) }
          : all;
      let latest = null;
      let why: string | null = null;
      try {
        latest = await scorer.current.score(id, at);
      } catch (err) {
        // no readings in the last 24 h or no model: the history is still worth showing, with why
        why = errorMessage(err);
      }
      // Units from the plant in force (the plant file), where it declares this equipment.
      const units = Object.fromEntries((cls?.sensors ?? []).map((x) => [x.name, x.unit]));
      // Plausible ranges too: a chart never draws a band below what the sensor can read.
      const ranges = Object.fromEntries((cls?.sensors ?? []).map((x) => [x.name, [...x.range]]));
      return {
        ...place,
        ...health,
        units,
        ranges,
        timezone: p?.timezone ?? 'UTC',
        latest_score: latest,
        latest_score_error: why,
      };
    },
  );
};

export default equipment;
