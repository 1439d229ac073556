/** The bench's reference: a bare fastify route with the same body validation, a constant answer. */
import Fastify from 'fastify';

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
const url = await bare.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
process.stdout.write(`API at ${url}\n`);
process.on('SIGTERM', () => void bare.close().then(() => process.exit(0)));
