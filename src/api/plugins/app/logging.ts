/**
 * Logs: fastify's logger (pino), JSON lines on stderr at PDM_LOG_LEVEL, one request id per request
 * (a client's `x-request-id` is kept when it is a plain token, else a fresh UUID), returned in the
 * `x-request-id` header and quoted by a 500's body; keys and authorization headers are redacted.
 * Every request is logged at debug, a 5xx at error with its stack (the problems plugin).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController } from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';

const TOKEN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The logger and request-id options of the fastify instance (set when it is created). */
export function loggerOptions(
  level: string,
  stream?: NodeJS.WritableStream,
): Pick<FastifyServerOptions, 'logger' | 'genReqId' | 'requestIdHeader' | 'logController'> {
  return {
    logger: {
      level,
      stream: stream ?? process.stderr,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          '*.key',
          '*.password',
        ],
        censor: '[redacted]',
      },
    },
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && TOKEN.test(given) ? given : randomUUID();
    },
    // fastify's own per-request info lines off: this plugin logs each request at debug.
    logController: new LogController({ disableRequestLogging: true }),
  };
}

async function logging(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug(
      { method: req.method, url: req.url.slice(0, 300), status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
}

export default fp(logging, { name: 'logging' });
