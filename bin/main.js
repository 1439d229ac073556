#!/usr/bin/env node
// `npm start`: the main job (src/main.ts), run through tsx like the CLI.
import { register } from 'tsx/esm/api';
import { tuneForServing } from './serving.js';

tuneForServing();
register();
await import('../src/main.ts');
