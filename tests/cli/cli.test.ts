import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitAnomaly } from '../../models/anomaly.ts';
import { ModelRegistry } from '../../models/index.ts';
import { cmapssFile, scratchFile } from '../helpers/data.ts';
import { pdm } from '../helpers/cli.ts';
import { testEnv, uniquePrefix } from '../helpers/store.ts';
import { keySecret } from '../helpers/keys.ts';

describe('pdm CLI', () => {
  const env = testEnv({ PDM_TABLE_PREFIX: uniquePrefix('cli') });

  it('ingests C-MAPSS with --json, and a re-run leaves the row count unchanged and says so', async () => {
    const file = cmapssFile('train_FD001.txt');
    const first = await pdm(['ingest', file, '--format', 'cmapss', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({
      ok: true,
      table: `${env.PDM_TABLE_PREFIX}cmapss`,
      accepted: 20631,
      rejected: 0,
    });
    expect(first.json).toMatchObject({ new_rows: 20631, already_stored: 0 });
    const again = await pdm(['ingest', file, '--json'], env);
    // A re-run says what it added: nothing new, every row already stored.
    expect(again.json).toMatchObject({ accepted: 20631, new_rows: 0, already_stored: 20631 });
    const text = await pdm(['ingest', file], env);
    expect(text.stdout).toContain('0 new rows stored, 20631 already stored');
    // WAL apply is asynchronous: poll until the count settles at the expected value.
    let n = 0;
    for (let i = 0; i < 100 && n !== 20631; i++) {
      const q = await pdm(['query', `SELECT count() n FROM ${env.PDM_TABLE_PREFIX}cmapss`, '--json'], env);
      n = Number((q.json.rows as { n: number }[])[0]?.n);
      if (n !== 20631) await new Promise((r) => setTimeout(r, 100));
    }
    expect(n).toBe(20631);
  });

  it('reports rejected rows in the JSON summary', async () => {
    const file = scratchFile(
      'r.csv',
      'ts,equipment,flow\n2024-01-01T00:00:00Z,a,1\n2024-01-01T00:00:01Z,a,x\n',
    );
    const run = await pdm(['ingest', file, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      rows_read: 2,
      accepted: 1,
      rejected: 1,
      rejections: [{ row: 3, field: 'flow', reason: 'not a number: "x"' }],
    });
  });

  it('exits non-zero and says why when a file gave nothing to ingest; 1e999 is refused like Infinity', async () => {
    const cases: [string, string | Buffer, string[], RegExp][] = [
      ['empty.csv', '', [], /no data line/],
      ['header.csv', 'ts,equipment,flow\n', [], /no data line/],
      [
        'bad.csv',
        'ts,equipment,flow\nyesterday,a,1\n2024-01-01T00:00:00Z,a,x\n',
        [],
        /every one of its 2 rows was rejected/,
      ],
      [
        'latin1.csv',
        Buffer.from('ts,equipment,flow\n2024-01-01T00:00:00Z,\xe9,1\n', 'latin1'),
        [],
        /not valid UTF-8/,
      ],
      [
        'wrong.csv',
        'ts,equipment,flow\n2024-01-01T00:00:00Z,a,1\n',
        ['--format', 'cmapss'],
        /rejected \(cmapss: is --format right\?\)/,
      ],
      ['inf.csv', 'ts,equipment,flow\n2024-01-01T00:00:00Z,a,1e999\n', [], /not a number: "1e999"/],
    ];
    for (const [name, text, extra, reason] of cases) {
      const run = await pdm(['ingest', scratchFile(name, text), ...extra, '--json'], env);
      expect(run.code, `${name}: ${run.stdout}`).toBe(1);
      expect(run.stderr, name).toMatch(reason);
      expect(run.json).toMatchObject({ ok: false });
    }
    // A 10 MB header line: a short refusal, not tens of megabytes of output.
    const wide = await pdm(
      ['ingest', scratchFile('wide.csv', `${'x'.repeat(10 << 20)}\n1,2\n`), '--json'],
      env,
    );
    expect(wide.code).toBe(1);
    expect(wide.stdout.length + wide.stderr.length).toBeLessThan(20_000);
  });

  it('creates keys with an expiry, lists them without secrets, and revokes one', async () => {
    const keysEnv = { ...env, PDM_KEYS_FILE: scratchFile('keys.json', '{"keys":[]}') };
    const made = await pdm(
      ['keys', 'create', '--role', 'mes', '--expires', '30d', '--note', 'line 2 MES', '--json'],
      keysEnv,
    );
    expect(made.code, made.stderr).toBe(0);
    const key = made.json.key as string;
    expect(key).toMatch(/^pdm_[0-9a-f]{12}_/);
    expect(Date.parse(made.json.expires_at as string)).toBeGreaterThan(Date.now() + 29 * 86400e3);
    const list = await pdm(['keys', 'list', '--json'], keysEnv);
    expect(list.json.keys).toMatchObject([
      { id: made.json.id, role: 'mes', status: 'active', note: 'line 2 MES' },
    ]);
    expect(list.stdout).not.toContain(keySecret(key));
    const revoked = await pdm(['keys', 'revoke', made.json.id as string, '--json'], keysEnv);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await pdm(['keys', 'list', '--json'], keysEnv)).json.keys).toMatchObject([{ status: 'revoked' }]);
    const unknown = await pdm(['keys', 'revoke', 'ffffffffffff'], keysEnv);
    expect(unknown.code).toBe(1);
    expect((await pdm(['keys', 'create', '--role', 'mes', '--expires', 'soon'], keysEnv)).stderr).toMatch(
      /--expires "soon"/,
    );
  });

  it("refuses the engine's own context tables, and warns when epoch times were read in an assumed unit", async () => {
    const csv = scratchFile('ctx.csv', 'ts,equipment,flow\n1717200000,a,1\n1717200060,a,2\n');
    const into = await pdm(['ingest', csv, '--table', `${env.PDM_TABLE_PREFIX}maintenance`, '--json'], env);
    expect(into.code).toBe(1);
    expect(into.stderr).toMatch(/engine's maintenance table.*POST \/v1\/maintenance/s);
    // Seconds read as milliseconds land in 1970: said, with the fix.
    const secs = await pdm(['ingest', csv, '--json'], env);
    expect(secs.code, secs.stderr).toBe(0);
    expect(secs.stderr).toMatch(
      /2 rows had epoch-number times, read as milliseconds.*before 2000.*--time-unit s/,
    );
    expect(secs.json.warnings).toHaveLength(1);
    const told = await pdm(['ingest', csv, '--time-unit', 's', '--json'], env);
    expect(told.json.warnings).toEqual([]);
  });

  it('applies a plant file, shows it, and checks file readings against it; a file with mistakes names each and applies nothing', async () => {
    const plantEnv = testEnv({ PDM_TABLE_PREFIX: uniquePrefix('cli_plant') });
    const bad = await pdm(
      [
        'plant',
        'apply',
        scratchFile('bad.yaml', 'name: x\nclasses:\n  pump:\n    sensors:\n      - name: flow\n'),
        '--json',
      ],
      plantEnv,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /classes\.pump\.sensors\[0\]\.unit: required[\s\S]*classes\.pump\.sensors\[0\]\.range: required[\s\S]*equipment: required/,
    );
    expect((await pdm(['plant', 'show'], plantEnv)).stderr).toMatch(/no plant applied yet/);
    const applied = await pdm(
      ['plant', 'apply', path.resolve(import.meta.dirname, '../../examples/plants/simulated.yaml'), '--json'],
      plantEnv,
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json).toMatchObject({ ok: true, version: 1, changed: true, equipment: 12 });
    const shown = await pdm(['plant', 'show'], plantEnv);
    expect(shown.stdout).toMatch(/pump: vibration_rms \[mm\/s\]/);
    const csv = scratchFile(
      'r.csv',
      'ts,equipment,bearing_temp\n2025-03-01T00:00:00Z,cnc-001,900\n2025-03-01T00:00:01Z,cnc-001,60\n',
    );
    const run = await pdm(['ingest', csv, '--json'], plantEnv);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      accepted: 1,
      rejected: 1,
      rejections: [{ row: 2, field: 'bearing_temp' }],
    });
    expect((run.json.rejections as { reason: string }[])[0]?.reason).toMatch(
      /outside the plausible range \[-20, 200\] degC/,
    );
  });

  it('binds query parameters and prints a table without --json', async () => {
    const run = await pdm(['query', 'SELECT $1::varchar AS greeting, 2 AS two', '--param', 'hello'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/greeting\s+two\n-+\s+-+\nhello\s+2\n\(1 row\)/);
  });

  it('fails with a reason on stderr, a non-zero exit and a JSON error', async () => {
    const unknown = await pdm(['frobnicate', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"; pdm --help lists them/);
    // A typo is answered with the nearest command or option, and the command's options listed.
    expect((await pdm(['forcast'], env)).stderr).toMatch(
      /unknown command "forcast" \(did you mean forecast\?\)/,
    );
    const typo = await pdm(['backtest', 'failure', '--horizn', '24'], env);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(
      /^pdm backtest: unknown option --horizn \(did you mean --horizon\?\); its options: --horizon, --folds/,
    );
    expect(typo.stderr).not.toMatch(/backtest: backtest:|positional argument/);
    // A bad value names the option and the value.
    const bad = await pdm(['backtest', 'failure', '--horizon', 'abc'], env);
    expect(bad.stderr).toMatch(/--horizon "abc": expected hours > 0/);
    expect((await pdm(['backtest', 'failure', '--threshold', '2'], env)).stderr).toMatch(
      /--threshold "2": expected a probability between 0 and 1/,
    );
    expect(unknown.json).toMatchObject({ ok: false, error: { code: 'PDM_ERR_CLI_USAGE' } });
    const badOption = await pdm(['ingest', 'x.csv', '--colour', 'red'], env);
    expect(badOption.code).toBe(1);
    expect(badOption.stderr).toMatch(/--colour/);
    const badEnv = await pdm(['db', 'status'], { ...env, PDM_QUESTDB_HTTP_PORT: 'abc' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(/PDM_QUESTDB_HTTP_PORT="abc": expected an integer/);
    // A URL that does not parse is named, its password is not echoed.
    const badUrl = await pdm(['db', 'status'], {
      ...env,
      PDM_POSTGRES_URL: 'postgres://pdm:hunter2@[db:5432/x',
    });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/PDM_POSTGRES_URL="postgres:\/\/\*\*\*@\[db:5432\/x": not a URL/);
    expect(badUrl.stderr + badUrl.stdout).not.toContain('hunter2');
  });

  it('pdm models show: a summary on a terminal, the whole record with --json; list shows the figures', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-cli-models-'));
    const registry = new ModelRegistry(dir);
    const names = Array.from({ length: 300 }, (_, j) => `s${j}__mean__1h`);
    const columns = names.map((_, j) => Float64Array.from({ length: 60 }, (_, i) => Math.sin(i * (j + 1))));
    const model = fitAnomaly(
      { names, columns },
      names,
      { load: null, product: null, group: null },
      [...Array(40).keys()],
      [...Array(60).keys()].slice(40),
    );
    const meta = registry.saveAnomaly('plant.anomaly', model, {
      featureSet: 'demo',
      featureSetHash: '0123456789abcdef',
      featureNames: names,
      trainingWindow: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-29T00:00:00.000Z' },
      rows: 40,
      metrics: {
        backtest_roc_auc: 0.76,
        backtest_failures_warned: 5,
        backtest_failures: 17,
        backtest_lead_time_median_h: 10.45,
        backtest_false_alarms_per_equipment_month: 5.97,
      },
      alarmHealth: 0.41,
    });
    registry.promote('plant.anomaly', meta.version);
    const e = { ...env, PDM_MODELS_DIR: dir };
    const show = await pdm(['models', 'show', 'plant.anomaly'], e);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.trim().split('\n').length).toBeLessThan(12); // was the whole record, one line per feature
    expect(show.stdout).toMatch(/plant\.anomaly v0001 \(promoted: in service\)/);
    expect(show.stdout).toMatch(/300 features of demo/);
    expect(show.stdout).toMatch(
      /failures hidden: ROC-AUC 0\.760, 5\/17 failures warned, median lead 10\.450 h/,
    );
    expect(show.stdout).toMatch(/alarm at health <= 0\.410/);
    const json = await pdm(['models', 'show', 'plant.anomaly', '--json'], e);
    expect((json.json as { featureNames: string[] }).featureNames).toHaveLength(300);
    const list = await pdm(['models', 'list'], e);
    expect(list.stdout).toMatch(/v0001: answers: model \(not judged\); failures hidden: ROC-AUC 0\.760/);
  });

  it('documents every environment variable in --help', async () => {
    const run = await pdm(['--help'], env);
    expect(run.code).toBe(0);
    for (const name of [
      'PDM_QUESTDB_HTTP_URL',
      'PDM_QUESTDB_DATA_DIR',
      'PDM_TABLE_PREFIX',
      'PDM_INGEST_BATCH_ROWS',
    ]) {
      expect(run.stdout).toContain(name);
    }
  });

  it("answers `pdm <command> --help` with that command's usage, and runs nothing", async () => {
    const run = await pdm(['backtest', '--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: pdm backtest failure \[--scope S\] \[--horizon HOURS\]/);
    expect(run.stdout).toContain('Walk-forward backtest');
    expect(run.stderr).not.toContain('Unknown option');
  });
});
