// Worker entry for parallel tree training. Plain JavaScript so it starts under any loader
// (the CLI registers tsx programmatically, which workers do not inherit); it registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./train-worker-main.ts');
