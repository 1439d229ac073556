// V8 settings of the processes that serve the API (`pdm serve`, `npm start`), applied before any
// code of the engine runs.
import v8 from 'node:v8';

/**
 * No allocation-site pretenuring. V8 allocates straight into the old generation whatever an
 * allocation site's objects mostly survived a young collection; a burst of requests (a client
 * at its maximum rate, or the first seconds of a server) made it decide that for the HTTP
 * server's request, response and header objects. From then on every request's objects (~4 KB)
 * were old-generation garbage: each young collection took 9-21 ms instead of 1-3 ms (old-to-new
 * references to scan), and a full collection followed every ~15 s. With it off, /v1/score's p99
 * held at 2,000 requests/s went from 23-24 ms to 14-16 ms (docs/performance.md).
 */
export function tuneForServing() {
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
