/**
 * Alerts over HTTP: the open ones and the history (filters), one alert with its audit trail and
 * deliveries, and the changes people make: acknowledge (engineers, schedulers, the MES's
 * operators), resolve and suppress (engineers). Every change is recorded with the key that made it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actOnAlert, alertHistory, deliveriesOf, latestAlerts, viewOf } from '../../alerts/index.ts';
import type { AlertAction } from '../../alerts/index.ts';
import { ALERT_CAUSES } from '../../plant/index.ts';
import { InvalidInput, sendProblem, titleOf } from '../plugins/app/problem.ts';
import { answers, errors, Id, Open, Text, Time } from '../schemas.ts';
import { instant } from '../times.ts';

const STATES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;

const ListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.String({
        pattern: `^(active|all|${STATES.join('|')})$`,
        description: 'active (open or acknowledged; the default), all, or one state',
      }),
    ),
    equipment: Type.Optional(Id('only this equipment')),
    line: Type.Optional(Id('only this line')),
    cause: Type.Optional(
      Type.String({ pattern: `^(${ALERT_CAUSES.join('|')})$`, description: 'only this cause' }),
    ),
    since: Type.Optional(
      Time('changed at or after (default: any time for active alerts, 30 days ago for the others)'),
    ),
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,4}$', description: 'at most this many (default 500)' }),
    ),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Id('alert id') });
const ActBody = Type.Object(
  {
    note: Type.Optional(Text(2000, 'why (kept in the audit trail)')),
    until: Type.Optional(Time('suppress: until when (required)')),
  },
  { additionalProperties: false },
);

const alerts: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.services;

  app.get(
    '/v1/alerts',
    {
      schema: {
        summary:
          'Alerts, latest change first: the active ones by default; filters by state, equipment, line, cause, time',
        tags: ['alerts'],
        querystring: ListQuery,
        response: answers(Open({ alerts: Type.Array(Open({})), by_line: Open({}) })),
      },
      config: { roles: ['engineer', 'scheduler', 'mes'], store: true },
    },
    async (req) => {
      const q = req.query;
      const state = q.state ?? 'active';
      // Active alerts however old; the history (resolved, suppressed, all) of the last 30 days.
      const live = state === 'active' || state === 'open' || state === 'acknowledged';
      const since =
        q.since !== undefined
          ? instant(q.since, 'querystring.since')
          : live
            ? 0
            : Date.now() * 1000 - 30 * 86_400e6;
      const limit = Number(q.limit ?? 500);
      const list = (await latestAlerts(store, since))
        .filter((r) =>
          state === 'all'
            ? true
            : state === 'active'
              ? r.state === 'open' || r.state === 'acknowledged'
              : r.state === state,
        )
        .filter((r) => q.equipment === undefined || r.equipment === q.equipment)
        .filter((r) => q.line === undefined || r.line === q.line)
        .filter((r) => q.cause === undefined || r.cause === q.cause)
        .slice(0, limit)
        .map(viewOf);
      const byLine: Record<string, number> = {};
      for (const a of list)
        if (a.state === 'open' || a.state === 'acknowledged') byLine[a.line] = (byLine[a.line] ?? 0) + 1;
      return { alerts: list, by_line: byLine };
    },
  );

  app.get(
    '/v1/alerts/:id',
    {
      schema: {
        summary: 'One alert: its state, its audit trail (every change, who and when) and its deliveries',
        tags: ['alerts'],
        params: Params,
        response: answers(
          Open({ alert: Open({}), history: Type.Array(Open({})), deliveries: Type.Array(Open({})) }),
        ),
      },
      config: { roles: ['engineer', 'scheduler', 'mes'], store: true },
    },
    async (req, reply) => {
      const history = await alertHistory(store, req.params.id);
      const last = history[history.length - 1];
      if (last === undefined)
        return sendProblem(reply, {
          title: titleOf(404),
          status: 404,
          detail: `no alert ${JSON.stringify(req.params.id)}`,
          hint: 'GET /v1/alerts lists them',
        });
      return {
        alert: viewOf(last),
        history: history.map(viewOf),
        deliveries: await deliveriesOf(store, req.params.id),
      };
    },
  );

  const act = (
    action: AlertAction,
    path: string,
    roles: ('engineer' | 'scheduler' | 'mes')[],
    summary: string,
  ) =>
    app.post(
      `/v1/alerts/:id/${path}`,
      {
        schema: {
          summary,
          tags: ['alerts'],
          params: Params,
          body: ActBody,
          response: { ...answers(Open({ alert: Open({}) })), 409: errors[400] },
        },
        config: { roles, store: true },
        // No body at all (curl -X POST) is an empty one: nothing to note.
        preValidation: async (req) => {
          if (req.body === undefined || req.body === null) req.body = {};
        },
      },
      async (req, reply) => {
        const body = req.body ?? {};
        let until: number | undefined;
        if (action === 'suppress') {
          if (body.until === undefined)
            throw new InvalidInput('body.until', 'required to suppress: until when the cause stays quiet');
          until = instant(body.until, 'body.until');
          if (until <= Date.now() * 1000) throw new InvalidInput('body.until', 'must lie in the future');
        }
        const r = await actOnAlert(store, req.params.id, action, {
          actor: req.apiKey?.id ?? 'local',
          note: body.note ?? null,
          until,
        });
        if (r === null)
          return sendProblem(reply, {
            title: titleOf(404),
            status: 404,
            detail: `no alert ${JSON.stringify(req.params.id)}`,
            hint: 'GET /v1/alerts lists them',
          });
        if ('conflict' in r)
          return sendProblem(reply, { title: titleOf(409), status: 409, detail: r.conflict });
        return { alert: r };
      },
    );
  act(
    'acknowledge',
    'ack',
    ['engineer', 'scheduler', 'mes'],
    'Acknowledge an alert: someone is on it (it stays open until resolved)',
  );
  act(
    'resolve',
    'resolve',
    ['engineer'],
    'Resolve an alert by hand (e.g. inspected, nothing found), with a note',
  );
  act(
    'suppress',
    'suppress',
    ['engineer'],
    'Suppress an alert until a time: its cause raises nothing on that equipment until then',
  );
};

export default alerts;
