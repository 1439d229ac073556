/**
 * API keys and roles: `Authorization: Bearer pdm_...` or `x-api-key`. Missing or wrong: 401; wrong
 * role: 403. Built so that neither a proxy nor a flood gets around it:
 * - the per-address limit (the rate-limit plugin) runs before this hook, so every request is
 *   counted, 401s included; here failed checks are counted per address too, and an address over
 *   its budget gets 429 without another scrypt;
 * - keys are checked off the event loop with bounded concurrency and remembered either way
 *   (KeyStore), so 200 made-up keys a second cost the flood, not the MES's requests;
 * - after verification, the limit per key is counted on the verified key id, never on a header
 *   the client controls;
 * - keyless read-only views (the dashboard on the same machine) need all of: a server bound to a
 *   loopback address, a loopback peer, a loopback `Host` (no DNS rebinding) and no
 *   `Forwarded`/`X-Forwarded-*` header (no same-host reverse proxy).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../../keys.ts';
import { sendProblem, titleOf } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route (admin always is); absent: no key needed. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    /** The verified key (undefined: keyless local read or an open route). */
    apiKey: { id: string; role: Role } | undefined;
  }
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;
export const isLoopbackAddress = (a: string | undefined): boolean =>
  a !== undefined && (a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.'));
const hasProxyHeaders = (h: FastifyRequest['headers']): boolean =>
  h.forwarded !== undefined || Object.keys(h).some((k) => k.startsWith('x-forwarded-') || k === 'x-real-ip');

/** Fixed one-minute windows per address: enough to bound failed checks, small and allocation-light. */
class MinuteCounter {
  private window = 0;
  private counts = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}
  count(key: string): number {
    this.roll();
    return this.counts.get(key) ?? 0;
  }
  add(key: string): number {
    this.roll();
    const n = (this.counts.get(key) ?? 0) + 1;
    if (this.counts.size < 100_000 || this.counts.has(key)) this.counts.set(key, n);
    return n;
  }
  private roll(): void {
    const w = Math.floor(this.now() / 60_000);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
    }
  }
  get secondsLeft(): number {
    return Math.max(1, Math.ceil(((this.window + 1) * 60_000 - this.now()) / 1000));
  }
}

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}

async function auth(app: FastifyInstance): Promise<void> {
  const { keys, store } = app.services;
  const cfg = store.config.api;
  const failures = new MinuteCounter();
  const perKey = new MinuteCounter();
  app.decorateRequest('apiKey', undefined);

  const boundToLoopback = (): boolean => {
    const a = app.server.address();
    // inject() (tests, in-process calls) has no socket bound: only this process can reach it.
    if (a === null || typeof a === 'string') return true;
    return isLoopbackAddress(a.address);
  };
  const localRead = (req: FastifyRequest, roles: readonly Role[]): boolean =>
    cfg.localReadOnly &&
    (req.method === 'GET' || req.method === 'HEAD') &&
    (roles.includes('engineer') || roles.includes('scheduler')) &&
    boundToLoopback() &&
    isLoopbackAddress(req.socket.remoteAddress) &&
    LOOPBACK_HOSTS.test(req.headers.host ?? '') &&
    !hasProxyHeaders(req.headers);

  const unauthorized = (reply: FastifyReply, detail: string) =>
    sendProblem(reply.header('www-authenticate', 'Bearer'), {
      title: titleOf(401),
      status: 401,
      detail,
      field: 'headers.authorization',
    });
  const tooMany = (reply: FastifyReply, detail: string, counter: MinuteCounter) =>
    sendProblem(reply.header('retry-after', String(counter.secondsLeft)), {
      title: titleOf(429),
      status: 429,
      detail,
    });

  app.addHook('onRequest', async (req, reply) => {
    const roles = req.routeOptions.config.roles;
    if (roles === undefined) return;
    const presented = presentedKey(req);
    if (presented === undefined || presented === '') {
      if (localRead(req, roles)) return;
      return unauthorized(reply, 'an API key is required (Authorization: Bearer pdm_...)');
    }
    let verdict = keys.cached(presented);
    if (verdict === undefined) {
      if (failures.count(req.ip) >= cfg.authFailuresPerMinute)
        return tooMany(
          reply,
          `more than ${cfg.authFailuresPerMinute} failed key checks a minute from ${req.ip}; retry in ${failures.secondsLeft} s`,
          failures,
        );
      verdict = await keys.verify(presented);
    }
    if (!verdict.ok) {
      if (verdict.reason === 'busy')
        return sendProblem(reply.header('retry-after', '1'), {
          title: titleOf(503),
          status: 503,
          detail: 'too many key checks in progress; retry in a second',
        });
      failures.add(req.ip);
      return unauthorized(
        reply,
        verdict.reason === 'malformed'
          ? 'not an API key (expected pdm_<id>_<secret>)'
          : verdict.reason === 'unknown'
            ? 'unknown or wrong API key'
            : `API key ${verdict.reason}`,
      );
    }
    req.apiKey = { id: verdict.id, role: verdict.role };
    if (cfg.rateLimitPerMinute > 0 && perKey.add(verdict.id) > cfg.rateLimitPerMinute)
      return tooMany(
        reply,
        `more than ${cfg.rateLimitPerMinute} requests a minute for key ${verdict.id}; retry in ${perKey.secondsLeft} s`,
        perKey,
      );
    if (verdict.role !== 'admin' && !roles.includes(verdict.role)) {
      return sendProblem(reply, {
        title: titleOf(403),
        status: 403,
        detail: `role ${verdict.role} may not call ${req.method} ${req.routeOptions.url}; allowed: ${roles.join(', ')}, admin`,
      });
    }
  });
}

export default fp(auth, { name: 'auth', dependencies: ['services', 'problems'] });
