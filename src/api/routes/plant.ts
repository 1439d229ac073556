/** The plant as data over HTTP: the plant in force, and applying a new plant file (engineers). */
import { modelScopes } from '../../../pipelines/scopes.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { applyPlant, currentPlant, validatePlant, PlantFileError } from '../../plant/index.ts';
import { InvalidInput, sendProblem, titleOf } from '../plugins/app/problem.ts';
import { answers, Open } from '../schemas.ts';

const ApplyQuery = Type.Object(
  {
    accept_orphans: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'apply even if stored readings would no longer be read (recorded in the version note)',
      }),
    ),
  },
  { additionalProperties: false },
);

const plant: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.services;
  app.get(
    '/v1/plant',
    {
      schema: {
        summary:
          'The plant in force: classes with sensors (units, ranges), failure modes, quality limits, equipment',
        tags: ['plant'],
        response: answers(
          Open({
            version: Type.Integer(),
            sha256: Type.String(),
            applied_at: Type.String(),
            plant: Open({}),
          }),
        ),
      },
      config: { roles: ['engineer', 'scheduler'], store: true },
    },
    async (_req, reply) => {
      const cur = await currentPlant(store);
      if (cur === null)
        return sendProblem(reply, {
          title: titleOf(404),
          status: 404,
          detail: 'no plant applied yet',
          hint: 'PUT /v1/plant with a plant file as JSON, or pdm plant apply FILE (examples/plants/)',
        });
      return cur;
    },
  );
  app.put(
    '/v1/plant',
    {
      schema: {
        summary:
          'Apply a plant file (as JSON): checked whole (every problem named by its path, nothing applied on any), idempotent, versioned; 409 if stored readings would be orphaned',
        tags: ['plant'],
        querystring: ApplyQuery,
        body: Type.Object(
          {},
          { additionalProperties: true, description: 'a plant file, as in examples/plants/' },
        ),
        response: answers(
          Open({
            version: Type.Integer(),
            changed: Type.Boolean(),
            columns_added: Type.Array(Type.String()),
          }),
        ),
      },
      bodyLimit: 4 << 20,
      config: { roles: ['engineer'], store: true },
    },
    async (req) => {
      let p;
      try {
        p = validatePlant(req.body);
      } catch (err) {
        if (!(err instanceof PlantFileError)) throw err;
        // The first problem names the field; all of them are listed (a plant file has many fields).
        const [first = 'body: invalid'] = err.problems;
        const cut = first.indexOf(': ');
        const e = new InvalidInput(
          `body.${first.slice(0, cut)}`,
          `${first.slice(cut + 2)} (${err.problems.length} problems in all)`,
        );
        e.problems = err.problems.map((x) => `body.${x}`);
        throw e;
      }
      const { plant: applied, ...r } = await applyPlant(store, p, {
        acceptOrphans: req.query.accept_orphans === 'true',
      });
      // This process serves the new plant at once (others follow within seconds: LiveScorer.watch).
      if (r.changed) app.services.scorer.setPlant(applied, r.version);
      return {
        ...r,
        scopes: modelScopes(applied).map((s) => ({ name: s.name, classes: s.classes, why: s.why })),
      };
    },
  );
};

export default plant;
