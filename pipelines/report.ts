/** A markdown report of a failure backtest, for engineers: the figures, the reliability table, the lead times. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FailureBacktest } from './backtest-failure.ts';

export function backtestMarkdown(r: FailureBacktest, title: string): string {
  const lines = [
    `# ${title}`,
    '',
    `Failure (${r.mode}) within ${r.horizon_h} h, walk-forward over ${r.folds} later periods; ${r.test_rows} test instants, ${r.positives} positive.`,
    '',
    '| metric | model | baseline (one feature) |',
    '|---|---:|---:|',
    `| ROC-AUC | ${r.roc_auc} | ${r.baseline.roc_auc} (${r.baseline.feature}) |`,
    `| PR-AUC | ${r.pr_auc} | |`,
    `| Brier (calibrated) | ${r.brier} | |`,
    `| precision / recall at p >= ${r.threshold} | ${r.precision} / ${r.recall} | |`,
    `| failures warned | ${r.failures_warned} of ${r.failures_in_test} | |`,
    `| lead time (h): median, p10, p90 | ${r.lead_time_h.median}, ${r.lead_time_h.p10}, ${r.lead_time_h.p90} | |`,
    `| false alarms per equipment-month | ${r.false_alarms_per_equipment_month} | |`,
    '',
    '## Reliability (calibration)',
    '',
    '| mean predicted | observed frequency | instants |',
    '|---:|---:|---:|',
    ...r.reliability.map((b) => `| ${b.predicted} | ${b.observed} | ${b.count} |`),
    '',
    '## Lead times (hours before each warned failure)',
    '',
    r.lead_time_h.values.length > 0 ? r.lead_time_h.values.join(', ') : '(no failure was warned)',
    '',
    '## Most important features',
    '',
    ...r.top_features.map((f) => `- ${f.feature}: ${f.importance}`),
    '',
  ];
  return lines.join('\n');
}

export function writeBacktestReport(dir: string, r: FailureBacktest, title: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `backtest-failure-${r.mode}-${r.horizon_h}h-${new Date().toISOString().replace(/[:.]/g, '-')}.md`,
  );
  writeFileSync(file, backtestMarkdown(r, title));
  return file;
}
