/** The bench's reference: a bare fastify route with the same body validation as /v1/score, a constant answer. */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';

export function bareApp(): FastifyInstance {
  const bare = Fastify({ logger: false });
  bare.post(
    '/v1/score',
    {
      schema: {
        body: {
          type: 'object',
          required: ['equipment'],
          additionalProperties: false,
          properties: { equipment: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    async () => ({ equipment: 'cnc-001', probability: 0.1 }),
  );
  return bare;
}
