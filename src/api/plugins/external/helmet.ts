/**
 * Security headers (helmet's) with a strict Content-Security-Policy: scripts only from this
 * origin (the dashboard is a bundled module, no inline script), no plugins, no framing, data only
 * from /v1 on this origin. Even a string that slipped past the dashboard's escaping could not run
 * or send the API key in localStorage anywhere. Inline styles stay allowed (ECharts tooltips and
 * Swagger UI set style attributes; they cannot run code).
 *
 * The headers are the same on every answer (no nonces), so helmet runs once, at registration, and
 * each request copies its headers. @fastify/helmet ran helmet's middleware on every request:
 * building the policy string anew each time took about a tenth of the score route's CPU at
 * 2,000 requests/s (a CPU profile of `npm run bench:api -- --server inline --profile FILE`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** The headers helmet sets with the engine's options, as name (lower case) -> value. */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failed: unknown;
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The API is served over plain HTTP on a plant network as often as behind TLS.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => (failed = err));
  if (failed !== undefined) throw failed;
  return headers;
}

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  const headers = securityHeaders();
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

export default fp(securityHeadersPlugin, { name: 'security-headers' });
