/**
 * One engine process for the leader-election test: elects through the PostgreSQL advisory lock
 * named in argv[2], runs a job every second while leading, and prints one JSON line per event.
 */
import { AdvisoryLockLeader, JobScheduler, MemoryRunLog } from '../../src/jobs/index.ts';

const [url, name] = [process.env.PDM_POSTGRES_URL as string, process.argv[2] as string];
const say = (o: object) => process.stdout.write(JSON.stringify({ pid: process.pid, ...o }) + '\n');
const leader = await AdvisoryLockLeader.start({
  url,
  name,
  retryMs: 200,
  onChange: (leading, reason) => say({ leading, reason }),
});
const scheduler = new JobScheduler({ log: new MemoryRunLog(), leader });
scheduler.add({
  name: 'tick',
  cron: '* * * * * *',
  description: 'every second',
  run: async ({ at }) => {
    say({ run: at.toISOString() });
    return { rows: 1 };
  },
});
scheduler.start();
say({ ready: true });
process.on('SIGTERM', () => {
  void scheduler
    .stop()
    .then(() => leader.close())
    .then(() => process.exit(0));
});
