/** Scheduled jobs: which process leads, the schedule, and the recorded runs with their real status and error. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { StoreRunLog } from '../../jobs/run-log.ts';
import { answers, Nullable, Open } from '../schemas.ts';

const JobsQuery = Type.Object(
  {
    job: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$', description: 'only this job' })),
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,4}$', description: 'runs (default 50, at most 1000)' }),
    ),
  },
  { additionalProperties: false },
);

const jobs: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs: engineJobs, store } = app.services;
  const runLog = engineJobs?.log ?? new StoreRunLog(store);
  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'Job schedule, leadership and recent runs (times UTC)',
        tags: ['operations'],
        querystring: JobsQuery,
        response: answers(
          Type.Object({
            leader: Nullable(Type.Boolean()),
            leadership: Type.String(),
            jobs: Type.Array(Open({})),
            runs: Type.Array(Open({})),
          }),
        ),
      },
      config: { roles: ['engineer', 'scheduler'], store: true },
    },
    async (req) => ({
      leader: engineJobs === undefined ? null : engineJobs.leader.isLeader(),
      leadership: engineJobs?.leader.describe ?? 'jobs do not run in this process',
      jobs: engineJobs?.scheduler.status() ?? [],
      runs: await runLog.recent(req.query.job ?? '', Math.min(1000, Number(req.query.limit ?? 50))),
    }),
  );
};

export default jobs;
