/** Errors as application/problem+json (RFC 9457): status, title, detail, and the field at fault. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isPdmError } from '../errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  hint?: string;
}

/** A request that passed the schema but not a domain check (unknown equipment, end before start...). */
export class InvalidInput extends Error {
  constructor(
    readonly field: string,
    reason: string,
    readonly hint?: string,
  ) {
    super(reason);
    this.name = 'InvalidInput';
  }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

export function errorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const v = err.validation[0];
    const params = (v?.params ?? {}) as { additionalProperty?: string; missingProperty?: string };
    const where = err.validationContext ?? 'body';
    const path = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    // The offending property inside the object at `path` (e.g. body.3.colour), or the path itself.
    const prop = params.additionalProperty ?? params.missingProperty;
    const field = [where, path, prop].filter((p) => p !== undefined && p !== '').join('.');
    const reason = params.additionalProperty ? 'unknown field' : (v?.message ?? 'invalid');
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: `${field}: ${reason}`,
      field,
    });
  }
  if (err instanceof InvalidInput) {
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: `${err.field}: ${err.message}`,
      field: err.field,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
    });
  }
  if (isPdmError(err) && typeof err.detail?.status === 'number') {
    return sendProblem(reply, {
      type: 'about:blank',
      title: err.code,
      status: err.detail.status,
      detail: err.message,
      ...(typeof err.detail.hint === 'string' ? { hint: err.detail.hint } : {}),
    });
  }
  if (err.statusCode === 429) {
    const e = err as unknown as Problem;
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Too many requests',
      status: 429,
      detail: e.detail ?? err.message,
    });
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  return sendProblem(reply, {
    type: 'about:blank',
    title: status === 500 ? 'Internal error' : 'Bad request',
    status,
    detail: status === 500 ? 'see the server log' : err.message,
  });
}
