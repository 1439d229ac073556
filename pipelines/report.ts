/**
 * A markdown report of a failure backtest, for engineers: the figures, the ROC curve, the
 * calibration (reliability) plot and table, the lead-time histogram, the features that mattered.
 * Plots are static SVG files beside the markdown.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FailureBacktest } from './backtest-failure.ts';
import { plotHistogram, plotSeries } from './svg-plot.ts';

/** The report's plots as SVG text, by file suffix. */
export function backtestPlots(r: FailureBacktest): Record<'roc' | 'calibration' | 'lead-times', string> {
  const diagonal = {
    points: [
      [0, 0],
      [1, 1],
    ] as [number, number][],
    colour: '#aaa',
    dashed: true,
  };
  return {
    roc: plotSeries(`ROC (AUC ${r.roc_auc})`, 'false positive rate', 'true positive rate', [
      diagonal,
      { points: r.roc.map((p) => [p.fpr, p.tpr] as [number, number]), colour: '#2b7bd9' },
    ]),
    calibration: plotSeries('Calibration', 'mean predicted probability', 'observed frequency', [
      diagonal,
      {
        points: r.reliability.map((b) => [b.predicted, b.observed] as [number, number]),
        colour: '#d9342b',
        markers: true,
      },
    ]),
    'lead-times': plotHistogram(
      `Warning lead time (${r.failures_warned} of ${r.failures_in_test} warned)`,
      'hours before failure',
      r.lead_time_h.values,
      r.horizon_h,
    ),
  };
}

export function backtestMarkdown(r: FailureBacktest, title: string, plotBase?: string): string {
  const lines = [
    `# ${title}`,
    '',
    `Failure (${r.mode}) within ${r.horizon_h} h, walk-forward over ${r.folds} later periods; ${r.test_rows} test instants, ${r.positives} positive.` +
      (r.held_out_equipment.length > 0
        ? ` Tested on held-out equipment only: ${r.held_out_equipment.join(', ')}.`
        : ''),
    '',
    ...(plotBase === undefined
      ? []
      : [
          `![ROC](${plotBase}-roc.svg) ![Calibration](${plotBase}-calibration.svg) ![Lead times](${plotBase}-lead-times.svg)`,
          '',
        ]),
    `| metric | model | baseline: one feature (${r.baseline.feature}, ${r.baseline.direction > 0 ? 'high' : 'low'} = failure) | baseline: persistence |`,
    '|---|---:|---:|---:|',
    `| ROC-AUC | ${r.roc_auc} | ${r.baseline.roc_auc} | ${r.persistence.roc_auc} |`,
    `| PR-AUC | ${r.pr_auc} | | |`,
    `| Brier (calibrated; climatology ${r.base_rate_brier}) | ${r.brier} | | |`,
    `| precision / recall at p >= ${r.threshold} | ${r.precision} / ${r.recall} | | ${r.persistence.precision} / ${r.persistence.recall} |`,
    `| failures warned | ${r.failures_warned} of ${r.failures_in_test} | | |`,
    `| lead time (h): median, p10, p90 | ${r.lead_time_h.median}, ${r.lead_time_h.p10}, ${r.lead_time_h.p90} | | |`,
    `| false alarms per equipment-month | ${r.false_alarms_per_equipment_month} | | |`,
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
  const base = path.basename(file, '.md');
  for (const [name, svg] of Object.entries(backtestPlots(r)))
    writeFileSync(path.join(dir, `${base}-${name}.svg`), svg);
  writeFileSync(file, backtestMarkdown(r, title, base));
  return file;
}
