// Worker entry for the retrain job: plain JavaScript that registers tsx, because workers do not
// inherit a loader registered programmatically (bin/pdm.js and bin/main.js do that).
import { register } from 'tsx/esm/api';

register();
await import('./retrain-worker-main.ts');
