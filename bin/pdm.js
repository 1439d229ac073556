#!/usr/bin/env node
// The `pdm` command. Sources are TypeScript run through tsx, so the installed CLI is always the code in the tree.
import { register } from 'tsx/esm/api';
import { tuneForServing } from './serving.js';

if (process.argv.slice(2).find((a) => !a.startsWith('-')) === 'serve') tuneForServing();
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
