/** Operations: liveness and readiness (QuestDB answers, a model is loaded). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { answers } from '../schemas.ts';
import { sendProblem, titleOf } from '../plugins/app/problem.ts';

const ops: FastifyPluginAsyncTypebox = async (app) => {
  const { scorer } = app.services;
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: answers(Type.Object({ status: Type.Literal('ok') })),
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: QuestDB answers and a promoted model is loaded (503 with the reason otherwise)',
        tags: ['operations'],
        response: answers(
          Type.Object({
            status: Type.Literal('ready'),
            questdb: Type.Boolean(),
            models: Type.Array(Type.String()),
          }),
        ),
      },
    },
    async (_req, reply) => {
      const questdb = await app.storeHealth.check();
      const models = scorer.current.ready;
      if (!questdb || !models) {
        return sendProblem(reply.header('retry-after', '5'), {
          title: titleOf(503),
          status: 503,
          detail: `${questdb ? '' : 'QuestDB does not answer; '}${
            models
              ? ''
              : scorer.current.scorers.length === 0
                ? 'no plant file applied (pdm plant apply FILE)'
                : 'no promoted model loaded (pdm train failure)'
          }`.trim(),
        });
      }
      return {
        status: 'ready' as const,
        questdb,
        models: scorer.current.scorers
          .flatMap((s) => [s.failure?.model.meta.name, s.rul?.model.meta.name])
          .filter((n): n is string => n !== undefined),
      };
    },
  );
};

export default ops;
