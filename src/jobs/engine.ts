/**
 * The engine's jobs as one unit: leadership (a PostgreSQL advisory lock when PDM_POSTGRES_URL is
 * set, else this process), the run log in the store, and the plant jobs on their schedules.
 */
import type { ModelRegistry } from '../../models/index.ts';
import { AlertDeliverer, AlertManager, receiversOf } from '../alerts/index.ts';
import type { LiveScorer } from '../scoring/scorer.ts';
import type { Store } from '../store/index.ts';
import { AdvisoryLockLeader, SoleLeader } from './leader.ts';
import type { Leadership } from './leader.ts';
import { plantJobs } from './plant-jobs.ts';
import { RetrainProcess } from './retrain-runner.ts';
import { StoreRunLog } from './run-log.ts';
import { JobScheduler } from './scheduler.ts';
import type { SchedulerEvent } from './scheduler.ts';

export interface EngineJobs {
  readonly scheduler: JobScheduler;
  readonly leader: Leadership;
  readonly log: StoreRunLog;
  readonly alerts: AlertManager;
  readonly deliverer: AlertDeliverer;
  /** Where the retrain job runs (absent: in this thread, retrainInProcess). */
  readonly retrainProcess?: RetrainProcess;
  stop(): Promise<void>;
}

export interface EngineJobOptions {
  readonly store: Store;
  readonly registry: ModelRegistry;
  /** The live scorer: the jobs work on the plant it serves (and follow a new plant file). */
  readonly scorer: LiveScorer;
  readonly onEvent?: (e: SchedulerEvent) => void;
  readonly onLeaderChange?: (leader: boolean, reason: string) => void;
  /** Trees per retrained forest (default 100). */
  readonly trees?: number;
  /** Arm the cron schedules (default true); false declares the jobs for manual runs only. */
  readonly schedule?: boolean;
  /** Told each step of a long job (see PlantJobDeps). */
  readonly onProgress?: (what: string) => void;
  /** Retrain in the calling thread instead of a process of its own (default false). */
  readonly retrainInProcess?: boolean;
}

export async function startEngineJobs(o: EngineJobOptions): Promise<EngineJobs> {
  const cfg = o.store.config.jobs;
  const leader: Leadership =
    cfg.postgresUrl === undefined
      ? new SoleLeader()
      : await AdvisoryLockLeader.start({
          url: cfg.postgresUrl,
          // One leader per schema: engines on other table prefixes elect their own.
          name: `pdm-jobs:${o.store.tables.job_runs}`,
          onChange: o.onLeaderChange,
        });
  const log = new StoreRunLog(o.store);
  // Alerts: the policy runs after each scoring run; the outbox is sent apart from it, by the
  // leader only (another engine's deliverer would send the same outbox twice).
  const deliverer = await AlertDeliverer.open(o.store, {
    receivers: receiversOf(o.store.config),
    leader: () => leader.isLeader(),
    log: (line) => console.error(line),
  });
  const alerts = await AlertManager.open(o.store, {
    deliverer,
    timeZone: o.scorer.current.plant?.timezone,
  });
  const scheduler = new JobScheduler({ log, leader, onEvent: o.onEvent, host: log.hostId });
  const retrainProcess = o.retrainInProcess === true ? undefined : new RetrainProcess();
  for (const spec of Object.values(
    plantJobs({
      store: o.store,
      registry: o.registry,
      scorer: o.scorer,
      config: cfg,
      trees: o.trees,
      alerts,
      onProgress: o.onProgress,
      retrainProcess,
    }),
  ))
    scheduler.add(spec);
  if (o.schedule !== false) {
    scheduler.start();
    deliverer.start();
  }
  return {
    scheduler,
    leader,
    log,
    alerts,
    deliverer,
    ...(retrainProcess === undefined ? {} : { retrainProcess }),
    async stop() {
      // A retrain in progress is stopped, not waited for (it can run for minutes): its run fails
      // and says so.
      const stopping = scheduler.stop();
      await retrainProcess?.stop();
      await stopping;
      await deliverer.stop();
      await leader.close();
    },
  };
}
