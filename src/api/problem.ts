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

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

export function errorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const v = err.validation[0];
    const params = (v?.params ?? {}) as { additionalProperty?: string; missingProperty?: string };
    const where = err.validationContext ?? 'body';
    const path = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const field = params.additionalProperty ?? params.missingProperty ?? (path === '' ? where : path);
    const reason = params.additionalProperty ? 'unknown field' : (v?.message ?? 'invalid');
    return sendProblem(reply, {
      type: 'about:blank',
      title: 'Invalid request',
      status: 400,
      detail: `${where}.${field}: ${reason}`,
      field: `${where}.${field}`,
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
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  return sendProblem(reply, {
    type: 'about:blank',
    title: status === 500 ? 'Internal error' : 'Bad request',
    status,
    detail: status === 500 ? 'see the server log' : err.message,
  });
}
