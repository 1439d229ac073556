/** Scheduled jobs: the scheduler, its run log, leader election, and the plant's declared jobs. */
export { JobScheduler } from './scheduler.ts';
export type { JobContext, JobResult, JobSpec, JobStatus, SchedulerEvent } from './scheduler.ts';
export { StoreRunLog, MemoryRunLog } from './run-log.ts';
export type { JobRun, RunLog, RunStatus } from './run-log.ts';
export { AdvisoryLockLeader, SoleLeader, lockKey } from './leader.ts';
export type { Leadership } from './leader.ts';
export { plantJobs } from './plant-jobs.ts';
export type { PlantJobDeps } from './plant-jobs.ts';
export { startEngineJobs } from './engine.ts';
export type { EngineJobs, EngineJobOptions } from './engine.ts';
export { describeJobEvent, jobLogging, secondsOf } from './describe.ts';
