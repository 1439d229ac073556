/** Models: the registry, backtest metrics, ROC and calibration, lead-time histogram, champion vs challenger. */
import { metricSummary } from '../modes.ts';
import { html, orElse, setHtml } from '../html.ts';
import { get } from '../api.ts';
import { chart, fmtTime } from '../charts.ts';
import type { LineSeriesOption } from 'echarts';

/** The dashed y = x line of the ROC and calibration plots (chance, and perfect calibration). */
const DIAGONAL: LineSeriesOption = {
  type: 'line',
  showSymbol: false,
  lineStyle: { type: 'dashed', color: '#aaa' },
  data: [
    [0, 0],
    [1, 1],
  ],
};

interface Model {
  name: string;
  scope: string | null;
  classes: string[];
  kind: string | null;
  horizon_h: number | null;
  mode: string | null;
  /** False when the plant in force no longer has its scope or changed its feature set. */
  served: boolean;
  versions: string[];
  promoted: string | null;
  /** What answers for the promoted version: "model", or the reference it lost to. */
  answered_by: string | null;
  gate: { passed: boolean; serve: string; reason: string } | null;
  target: string | null;
  metrics: Record<string, number | null>;
  created_at: string | null;
  training_window: { from: string; to: string } | null;
  backtest: {
    roc?: { fpr: number; tpr: number }[];
    reliability?: { predicted: number; observed: number; count: number }[];
    lead_time_h?: { values: number[]; median: number };
    roc_auc?: number;
    baseline?: { feature: string; roc_auc: number };
  } | null;
  challenges: {
    at: string;
    metric: string;
    champion: { version: string; value: number } | null;
    challenger: { version: string; value: number };
    promoted: boolean;
    reason: string;
  }[];
}

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : v.toFixed(3);

/** Failure models with a backtest, any-mode ones first, then by scope and horizon: whose curves to show. */
function withCurves(models: Model[]): Model[] {
  return models
    .filter((m) => m.kind === 'failure-classifier' && m.backtest !== null)
    .sort(
      (a, b) =>
        Number(a.mode !== 'any') - Number(b.mode !== 'any') ||
        (a.scope ?? '').localeCompare(b.scope ?? '') ||
        (a.horizon_h ?? 0) - (b.horizon_h ?? 0),
    );
}

export async function modelsView(el: HTMLElement): Promise<void> {
  const { models } = await get<{ models: Model[] }>('/v1/models');
  const curves = withCurves(models);
  // The model whose curves are shown is kept in the URL, so a refresh keeps it.
  const picked = new URLSearchParams(location.hash.split('?')[1] ?? '').get('curves');
  const failure = curves.find((m) => m.name === picked) ?? curves[0];
  const bt = failure?.backtest ?? null;
  setHtml(
    el,
    html` <h1>Models</h1>
      <div class="card">
        <table id="models-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Scope (classes)</th>
              <th>Target</th>
              <th>Promoted</th>
              <th>Answers</th>
              <th>Versions</th>
              <th>Trained on</th>
              <th>Backtest (model vs references)</th>
            </tr>
          </thead>
          <tbody>
            ${models.map(
              (m) =>
                html`<tr>
                  <td>${m.name}</td>
                  <td
                    class="${m.served ? '' : 'warn'}"
                    title="${m.served ? '' : 'not served: the plant in force has no such scope, or changed its feature set (retrain)'}"
                  >
                    ${m.scope ?? '—'} ${m.classes.length > 0 ? `(${m.classes.join(', ')})` : ''}
                  </td>
                  <td>${m.target ?? ''}</td>
                  <td>${m.promoted ?? '—'}</td>
                  <td
                    class="${m.answered_by !== null && m.answered_by !== 'model' ? 'warn' : ''}"
                    title="${m.gate?.reason ?? 'no backtest judged this model'}"
                  >
                    ${
                      m.answered_by === null
                        ? '—'
                        : m.kind === 'anomaly'
                          ? 'the health index (no promotion gate: no failure label; its backtest hides every failure)'
                          : m.answered_by === 'model'
                            ? m.gate
                              ? 'the model (beats its references)'
                              : 'the model (not judged by a backtest)'
                            : `${m.answered_by} — the model lost: ${m.gate?.reason ?? ''}`
                    }
                  </td>
                  <td>${m.versions.length}</td>
                  <td class="muted">
                    ${m.training_window ? `${fmtTime(m.training_window.from)} → ${fmtTime(m.training_window.to)}` : ''}
                  </td>
                  <td>${metricSummary(m.metrics)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${models.length === 0 ? html`<p class="muted">No model registered yet: npm start trains the first ones.</p>` : ''}
      </div>
      <div class="card">
        <label
          >Curves of
          <select id="curves-model">
            ${curves.map((m) => html`<option value="${m.name}" ${m === failure ? 'selected' : ''}>${m.name}</option>`)}
          </select></label
        >
      </div>
      <div class="row">
        <div class="card">
          <h2 id="roc-title">ROC (walk-forward test periods)</h2>
          <div id="roc" class="chart"></div>
        </div>
        <div class="card">
          <h2>Calibration</h2>
          <div id="calibration" class="chart"></div>
        </div>
        <div class="card">
          <h2>Warning lead time (hours before failure)</h2>
          <div id="lead" class="chart"></div>
        </div>
      </div>
      <div class="card">
        <h2>Champion vs challenger</h2>
        <table id="challenges">
          <thead>
            <tr>
              <th>When</th>
              <th>Model</th>
              <th>Metric</th>
              <th class="num">Champion</th>
              <th class="num">Challenger</th>
              <th>Decision</th>
            </tr>
          </thead>
          <tbody>
            ${orElse(
              challengeRows(models).map(
                ({ m, c, kept }) =>
                  html`<tr>
                    <td>
                      ${kept.length > 1 ? `${fmtTime(kept[kept.length - 1]!.at)} → ${fmtTime(c.at)}` : fmtTime(c.at)}
                    </td>
                    <td>${m.name}</td>
                    <td>${c.metric}</td>
                    <td class="num">
                      ${c.champion ? `${c.champion.version}: ${fmt(c.champion.value)}` : '—'}
                    </td>
                    <td class="num">${c.challenger.version}: ${fmt(c.challenger.value)}</td>
                    <td>
                      ${
                        c.promoted
                          ? html`<b>promoted</b>`
                          : kept.length > 1
                            ? `kept champion against ${kept.length} challengers (the latest shown)`
                            : 'kept champion'
                      }
                      <span class="muted">${decisionDetail(c.reason)}</span>
                    </td>
                  </tr>`,
              ),
              html`<tr>
                <td colspan="6" class="muted">
                  No retrain has run yet (nightly; pdm jobs run retrain runs one now).
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
  );

  drawCurves(el, bt, failure?.horizon_h ?? 24);
  const pick = el.querySelector('#curves-model') as HTMLSelectElement;
  pick.addEventListener('change', () => {
    const m = curves.find((x) => x.name === pick.value);
    history.replaceState(null, '', `#/models?${new URLSearchParams({ curves: pick.value })}`);
    drawCurves(el, m?.backtest ?? null, m?.horizon_h ?? 24);
  });
}

/** The reason without the decision it starts with ("kept champion v0001: ..."), which the cell already says. */
const decisionDetail = (reason: string) => reason.replace(/^(kept champion \S+|promoted): /, '');

/**
 * The challenges, newest first, with a model's run of challengers that lost to the same champion
 * in one row (the latest shown, `kept` holding the run): nightly retrains that change nothing do
 * not fill the table with "kept champion".
 */
function challengeRows(
  models: readonly Model[],
): { m: Model; c: Model['challenges'][number]; kept: Model['challenges'] }[] {
  const rows: { m: Model; c: Model['challenges'][number]; kept: Model['challenges'] }[] = [];
  for (const m of models) {
    const newest = [...m.challenges].sort((a, b) => b.at.localeCompare(a.at));
    for (const c of newest) {
      const last = rows[rows.length - 1];
      if (
        last !== undefined &&
        last.m === m &&
        !c.promoted &&
        !last.c.promoted &&
        c.metric === last.c.metric &&
        c.champion?.version === last.c.champion?.version
      )
        last.kept.push(c);
      else rows.push({ m, c, kept: [c] });
    }
  }
  return rows.sort((a, b) => b.c.at.localeCompare(a.c.at));
}

/** ROC, calibration and lead times of one failure model's walk-forward backtest. */
function drawCurves(el: HTMLElement, bt: Model['backtest'], horizonHours: number): void {
  (el.querySelector('#roc-title') as HTMLElement).textContent =
    'ROC (walk-forward test periods)' +
    (bt?.roc_auc !== undefined
      ? ` — AUC ${fmt(bt.roc_auc)}, one-sensor baseline ${fmt(bt.baseline?.roc_auc)}`
      : '');
  const roc = bt?.roc ?? [];
  chart(el.querySelector('#roc') as HTMLElement, {
    tooltip: { trigger: 'axis' },
    grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'false positive rate',
      nameLocation: 'middle',
      nameGap: 25,
    },
    yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate' },
    series: [{ type: 'line', showSymbol: false, data: roc.map((p) => [p.fpr, p.tpr]) }, DIAGONAL],
  });
  const rel = bt?.reliability ?? [];
  chart(el.querySelector('#calibration') as HTMLElement, {
    tooltip: {},
    grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'value', min: 0, max: 1, name: 'predicted', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'observed' },
    series: [
      {
        type: 'scatter',
        symbolSize: (v: number[]) => Math.min(30, 4 + Math.sqrt(v[2] ?? 1)),
        data: rel.map((r) => [r.predicted, r.observed, r.count]),
      },
      DIAGONAL,
    ],
  });
  const leads = bt?.lead_time_h?.values ?? [];
  // Twelve bins over the horizon (2 h wide at 24 h); the last holds leads at the horizon itself.
  const width = horizonHours / 12;
  const bins = Array.from({ length: 12 }, (_, i) => i * width);
  const label = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  chart(el.querySelector('#lead') as HTMLElement, {
    tooltip: { trigger: 'axis' },
    grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: {
      type: 'category',
      data: bins.map((b) => `${label(b)}–${label(b + width)}`),
      name: 'hours',
      nameLocation: 'middle',
      nameGap: 25,
    },
    yAxis: { type: 'value', name: 'failures', minInterval: 1 },
    series: [
      {
        type: 'bar',
        data: bins.map(
          (b, i) =>
            leads.filter((v) => v >= b && (v < b + width || (i === bins.length - 1 && v >= b))).length,
        ),
      },
    ],
  });
}
