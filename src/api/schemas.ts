/** Schemas shared by route files: error answers, ids, instants. */
import { Type } from 'typebox';
import type { TSchema } from 'typebox';
import { ProblemSchema } from './plugins/app/problem.ts';

/** An id: 1-128 characters, not starting with a space, no control characters (a NUL breaks storage). */
export const Id = (description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: '^[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$',
    description,
  });

/** Free text: any length up to `max`, no control characters but tab and newlines. */
export const Text = (max: number, description: string) =>
  Type.String({
    maxLength: max,
    pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$',
    description,
  });

/** RFC 3339 date-time (the route checks it strictly: see src/api/times.ts). */
export const Time = (description: string) =>
  Type.String({ format: 'date-time', maxLength: 40, description: `${description} (RFC 3339)` });

/** The error answers every route can give, besides its own success answer. */
export const errors = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  413: ProblemSchema,
  415: ProblemSchema,
  429: ProblemSchema,
  500: ProblemSchema,
  503: ProblemSchema,
} as const;

/** A response map: the success schema plus the problem+json errors. */
export const answers = <T extends TSchema>(ok: T) => ({ 200: ok, ...errors });

/** An object whose listed fields are described and whose other fields pass through as they are. */
export const Open = (props: Record<string, TSchema>, description?: string) =>
  // Typed as any object: the engine's answer interfaces are checked where they are built, and the
  // schema documents (and serialises) the listed fields while passing the others through.
  Type.Unsafe<object>(
    Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) }),
  );

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
