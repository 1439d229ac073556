/**
 * Whether an error means the store is unreachable (QuestDB down, restarting, or refusing
 * connections) rather than that a query or a row was wrong: the API answers the first with 503
 * and Retry-After, and a job records it as an outage, not as "no data".
 */
import { ErrorCodes, isPdmError } from '../errors.ts';

const CONNECTION_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // A flush that does not settle within its deadline: the server is not taking writes.
  ErrorCodes.WRITE_TIMEOUT,
]);
const CONNECTION_TEXT =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|timeout exceeded when trying to connect|connect(ion)? (refused|timed out)|socket hang up|fetch failed|not connected|Client has encountered a connection error/i;

export function storeUnavailable(err: unknown): boolean {
  if (isPdmError(err, ErrorCodes.QUESTDB_UNREACHABLE)) return true;
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
    if (CONNECTION_TEXT.test(msg)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
