/** The bare route in a process of its own (bench:api's reference), listening on argv[2]. */
import { bareApp } from './bare-route.ts';

const bare = bareApp();
const url = await bare.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
process.stdout.write(`API at ${url}\n`);
process.on('SIGTERM', () => void bare.close().then(() => process.exit(0)));
