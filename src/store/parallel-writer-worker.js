// Worker entry for ParallelWriter: one Sender per worker. Plain JavaScript that registers tsx,
// because workers do not inherit a loader registered programmatically (bin/pdm.js does that).
import { register } from 'tsx/esm/api';

register();
await import('./parallel-writer-worker-main.ts');
