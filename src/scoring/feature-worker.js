// Worker entry for live features off the API's thread (feature-worker.ts). Plain JavaScript so it
// starts under any loader (the CLI registers tsx programmatically, which workers do not inherit).
import { register } from 'tsx/esm/api';

register();
await import('./feature-worker-main.ts');
