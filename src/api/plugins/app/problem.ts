/**
 * Errors as application/problem+json (RFC 9457), for every route and every failure: the status,
 * a title from the status, a detail that names the field at fault (`body.3.released_at: ...`),
 * and for a 5xx the request id the server log carries the error and stack under. Nothing a client
 * sends makes a 500: schema errors, unreadable bodies, wrong media types and domain checks all map
 * to a 4xx here, and a store that does not answer to a 503 with Retry-After.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { ErrorCodes, isPdmError } from '../../../errors.ts';
import { storeUnavailable } from '../../../store/index.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  hint?: string;
  code?: string;
  request_id?: string;
  /** Every problem found, where a check reports several (a plant file: each with its path). */
  problems?: string[];
}

/** The schema every error answer follows (for the OpenAPI document and serialisation). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'where in the request: body.3.released_at' })),
    hint: Type.Optional(Type.String()),
    code: Type.Optional(Type.String({ description: 'stable engine error code (PDM_ERR_...)' })),
    request_id: Type.Optional(Type.String({ description: 'the id the server log carries' })),
    problems: Type.Optional(
      Type.Array(Type.String(), { description: 'every problem found, each with its path' }),
    ),
  },
  { description: 'application/problem+json (RFC 9457)' },
);

/** A request that passed the schema but not a domain check (unknown equipment, end before start...). */
export class InvalidInput extends Error {
  /** Every problem found, when the check reports several (the field names the first). */
  problems?: readonly string[];
  constructor(
    readonly field: string,
    reason: string,
    readonly hint?: string,
    readonly status: 400 | 404 | 409 | 413 | 415 | 422 = 400,
  ) {
    super(reason);
    this.name = 'InvalidInput';
  }
}

export const titleOf = (status: number) => STATUS_CODES[status] ?? 'Error';

export function sendProblem(reply: FastifyReply, p: Omit<Problem, 'type'> & { type?: string }): FastifyReply {
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({ type: 'about:blank', ...p });
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Field and reason of a schema error, with the allowed values of an enum. */
function validationProblem(err: FastifyError): { field: string; reason: string } {
  const all = (err.validation ?? []) as AjvError[];
  const v = all[0];
  const params = v?.params ?? {};
  const where = err.validationContext ?? 'body';
  const path = (v?.instancePath ?? '').replace(/^\//, '').split('/').join('.');
  const prop = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  const field = [where, path, prop].filter((p) => p !== undefined && p !== '').join('.');
  if (params.additionalProperty !== undefined) return { field, reason: 'unknown field' };
  if (params.missingProperty !== undefined) return { field, reason: 'required' };
  // A union of literals reports one `const` error per branch: list them all.
  const allowed = all
    .filter((e) => e.instancePath === v?.instancePath)
    .flatMap((e) =>
      e.keyword === 'enum'
        ? ((e.params?.allowedValues as unknown[]) ?? [])
        : e.keyword === 'const'
          ? [e.params?.allowedValue]
          : [],
    );
  if (allowed.length > 0)
    return { field, reason: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
  if (v?.keyword === 'format' && params.format === 'date-time')
    return { field, reason: 'not an RFC 3339 date-time (e.g. 2025-06-01T12:00:00Z)' };
  return { field, reason: v?.message ?? 'invalid' };
}

export function problemOf(err: FastifyError, req: FastifyRequest): Problem & { retryAfter?: number } {
  const base = { type: 'about:blank' };
  if (err.validation) {
    const { field, reason } = validationProblem(err);
    return { ...base, title: titleOf(400), status: 400, detail: `${field}: ${reason}`, field };
  }
  if (err instanceof InvalidInput) {
    return {
      ...base,
      title: titleOf(err.status),
      status: err.status,
      detail: `${err.field}: ${err.message}`,
      field: err.field,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      ...(err.problems === undefined ? {} : { problems: [...err.problems] }),
    };
  }
  if (storeUnavailable(err)) {
    return {
      ...base,
      title: titleOf(503),
      status: 503,
      detail: `the store (QuestDB) does not answer: ${err.message}`,
      code: ErrorCodes.QUESTDB_UNREACHABLE,
      retryAfter: 5,
    };
  }
  if (isPdmError(err) && typeof err.detail?.status === 'number') {
    return {
      ...base,
      title: titleOf(err.detail.status),
      status: err.detail.status,
      detail: err.message,
      code: err.code,
      ...(typeof err.detail.field === 'string' ? { field: err.detail.field } : {}),
      ...(Array.isArray(err.detail.problems) ? { problems: err.detail.problems as string[] } : {}),
      ...(typeof err.detail.hint === 'string' ? { hint: err.detail.hint } : {}),
      ...(typeof err.detail.retryAfter === 'number' ? { retryAfter: err.detail.retryAfter } : {}),
    };
  }
  if (isPdmError(err, ErrorCodes.INGEST_INPUT)) {
    return {
      ...base,
      title: titleOf(400),
      status: 400,
      detail: `body: ${err.message}`,
      field: 'body',
      code: err.code,
    };
  }
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return {
        ...base,
        title: titleOf(400),
        status: 400,
        detail: 'url: not a valid URL component (bad percent-encoding)',
        field: 'url',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        ...base,
        title: titleOf(415),
        status: 415,
        detail: `headers.content-type: ${JSON.stringify(req.headers['content-type'] ?? '')} is not accepted here`,
        field: 'headers.content-type',
        hint: 'send application/json (telemetry also takes application/x-ndjson)',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { ...base, title: titleOf(400), status: 400, detail: 'body: empty', field: 'body' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { ...base, title: titleOf(400), status: 400, detail: `body: ${err.message}`, field: 'body' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        ...base,
        title: titleOf(413),
        status: 413,
        detail: `body: larger than the ${req.routeOptions.bodyLimit ?? 1 << 20} bytes this route takes`,
        field: 'body',
      };
  }
  if (err.statusCode === 429) {
    return { ...base, title: titleOf(429), status: 429, detail: err.message };
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return { ...base, title: titleOf(400), status: 400, detail: `body: ${err.message}`, field: 'body' };
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status < 500) return { ...base, title: titleOf(status), status, detail: err.message };
  return {
    ...base,
    title: titleOf(500),
    status: 500,
    detail: `internal error; the server log has it under request id ${req.id}`,
    request_id: req.id,
  };
}

/** For fastify's `frameworkErrors` option: errors raised before routing (a bad URL encoding...). */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const { retryAfter: _r, ...body } = problemOf(err, req);
  void sendProblem(reply, body);
}

async function problems(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const p = problemOf(err, req);
    if (p.status >= 500 && p.status !== 503) req.log.error({ err }, 'request failed');
    else if (p.status === 503)
      req.log.warn(
        { err: err.message },
        p.code === ErrorCodes.SCORING_BUSY ? 'scoring busy' : 'store unavailable',
      );
    const { retryAfter, ...body } = p;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      title: titleOf(404),
      status: 404,
      detail: `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}`,
      hint: 'GET /docs lists the routes',
    }),
  );
}

export default fp(problems, { name: 'problems' });
