/** Reliability analyses for engineers: MTBF, MTTR, Pareto of modes, censored Weibull, Kaplan-Meier. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { reliabilityAnalysis } from '../../../pipelines/reliability.ts';
import { answers, Id, Nullable, Open } from '../schemas.ts';

const ReliabilityQuery = Type.Object(
  {
    equipmentClass: Type.Optional(Id('only this equipment class')),
    mode: Type.Optional(Id('only this failure mode')),
  },
  { additionalProperties: false },
);

const analyses: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.services;
  app.get(
    '/v1/analyses/reliability',
    {
      schema: {
        summary:
          'Reliability per class and mode: MTBF and MTTR (hours), Pareto, censored Weibull fit, Kaplan-Meier',
        tags: ['analyses'],
        querystring: ReliabilityQuery,
        response: answers(Open({ mtbf_h: Nullable(Type.Number({ description: 'null without failures' })) })),
      },
      config: { roles: ['engineer'], store: true },
    },
    async (req) => {
      const r = await reliabilityAnalysis(store, {
        equipmentClass: req.query.equipmentClass,
        mode: req.query.mode,
      });
      // JSON has no Infinity: an MTBF without failures is null.
      return { ...r, mtbf_h: Number.isFinite(r.mtbf_h) ? r.mtbf_h : null };
    },
  );
};

export default analyses;
