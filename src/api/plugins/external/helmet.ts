/**
 * Security headers (@fastify/helmet) with a strict Content-Security-Policy: scripts only from this
 * origin (the dashboard is a bundled module, no inline script), no plugins, no framing, data only
 * from /v1 on this origin. Even a string that slipped past the dashboard's escaping could not run
 * or send the API key in localStorage anywhere. Inline styles stay allowed (ECharts tooltips and
 * Swagger UI set style attributes; they cannot run code).
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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

async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The API is served over plain HTTP on a plant network as often as behind TLS.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
