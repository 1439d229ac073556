/** OpenAPI 3 from the same route schemas that validate requests and serialise answers; a UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function openApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'pdm-engine',
        version: '0.1.0',
        description:
          'Predictive maintenance: scoring, forecasts, MES context and telemetry intake, models. ' +
          'Errors are application/problem+json naming the field; times are RFC 3339 (UTC in answers).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(openApi, { name: 'openapi' });
