/**
 * One catalogue of engine errors with stable codes (`PDM_ERR_<AREA>_<PROBLEM>`), so the CLI,
 * the HTTP layer and tests can react to a code instead of parsing messages.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'PDM_ERR_CONFIG_INVALID',
  QUESTDB_JAR_MISSING: 'PDM_ERR_QUESTDB_JAR_MISSING',
  QUESTDB_JAVA_MISSING: 'PDM_ERR_QUESTDB_JAVA_MISSING',
  QUESTDB_START_FAILED: 'PDM_ERR_QUESTDB_START_FAILED',
  QUESTDB_UNREACHABLE: 'PDM_ERR_QUESTDB_UNREACHABLE',
  QUESTDB_EXTERNAL: 'PDM_ERR_QUESTDB_EXTERNAL',
  MIGRATION_FAILED: 'PDM_ERR_MIGRATION_FAILED',
  SQL_NOT_FOUND: 'PDM_ERR_SQL_NOT_FOUND',
  WRITE_FAILED: 'PDM_ERR_WRITE_FAILED',
  WRITE_TIMEOUT: 'PDM_ERR_WRITE_TIMEOUT',
  INGEST_INPUT: 'PDM_ERR_INGEST_INPUT',
  QUERY_FAILED: 'PDM_ERR_QUERY_FAILED',
  CLI_USAGE: 'PDM_ERR_CLI_USAGE',
  MODEL_NOT_FOUND: 'PDM_ERR_MODEL_NOT_FOUND',
  MODEL_CORRUPT: 'PDM_ERR_MODEL_CORRUPT',
  MODEL_FEATURES_MISMATCH: 'PDM_ERR_MODEL_FEATURES_MISMATCH',
  JOB_FAILED: 'PDM_ERR_JOB_FAILED',
  PLANT_INVALID: 'PDM_ERR_PLANT_INVALID',
  SCORING_BUSY: 'PDM_ERR_SCORING_BUSY',
  CLIENT_GONE: 'PDM_ERR_CLIENT_GONE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class PdmError extends Error {
  readonly code: ErrorCode;
  /** Structured detail for machines (JSON output, problem+json). */
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PdmError';
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isPdmError(err: unknown, code?: ErrorCode): err is PdmError {
  return err instanceof PdmError && (code === undefined || err.code === code);
}

/** The message of anything thrown, for logs and CLI output. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
