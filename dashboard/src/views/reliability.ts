/** Reliability: Weibull plot and Kaplan-Meier curve per class and mode, MTBF/MTTR, failure Pareto. */
import { weibullPattern } from '../modes.ts';
import { html, setHtml } from '../html.ts';
import { get } from '../api.ts';
import type { Equipment } from '../api.ts';
import { bandSeries, chart } from '../charts.ts';

interface Reliability {
  equipment_class: string | null;
  mode: string | null;
  equipment: number;
  failures: number;
  censored: number;
  mtbf_h: number | null;
  mttr_h: number;
  availability: number;
  pareto: { mode: string; failures: number; cumulative_share: number }[];
  weibull: { shape: number; scale: number; shapeCi: [number, number]; scaleCi: [number, number] } | null;
  kaplan_meier: { hours: number; survival: number; atRisk: number; lo: number | null; hi: number | null }[];
  kaplan_meier_censored: { hours: number; survival: number }[];
}

export async function reliabilityView(el: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const cls = params.get('class') ?? '';
  const mode = params.get('mode') ?? '';
  const q = new URLSearchParams();
  if (cls) q.set('equipmentClass', cls);
  if (mode) q.set('mode', mode);
  const [r, all, eq] = await Promise.all([
    get<Reliability>(`/v1/analyses/reliability?${q}`),
    get<Reliability>(`/v1/analyses/reliability${cls ? `?equipmentClass=${encodeURIComponent(cls)}` : ''}`),
    get<{ equipment: Equipment[] }>('/v1/equipment'),
  ]);
  const classes = [...new Set(eq.equipment.map((e) => e.equipment_class).filter(Boolean))].sort() as string[];
  const modes = all.pareto.map((p) => p.mode);
  const w = r.weibull;
  setHtml(
    el,
    html` <h1>Reliability ${cls ? `— ${cls}` : ''}${mode ? ` — ${mode}` : ''}</h1>
      <div class="filters">
        <label
          >Class
          <select id="r-class">
            <option value="">all</option>
            ${classes.map((c) => html`<option ${c === cls ? 'selected' : ''}>${c}</option>`)}
          </select></label
        >
        <label
          >Mode
          <select id="r-mode">
            <option value="">all</option>
            ${modes.map((m) => html`<option ${m === mode ? 'selected' : ''}>${m}</option>`)}
          </select></label
        >
      </div>
      <div class="row">
        <div class="card">
          <table id="rel-table">
            <tbody>
              <tr>
                <th>Equipment</th>
                <td class="num">${r.equipment}</td>
                <th>Failures</th>
                <td class="num">${r.failures}</td>
                <th>Censored runs</th>
                <td class="num">${r.censored}</td>
              </tr>
              <tr>
                <th>MTBF</th>
                <td class="num">${r.mtbf_h === null ? '—' : `${r.mtbf_h.toFixed(1)} h`}</td>
                <th>MTTR</th>
                <td class="num">${r.mttr_h.toFixed(2)} h</td>
                <th>Availability</th>
                <td class="num">${(r.availability * 100).toFixed(2)} %</td>
              </tr>
              <tr>
                <th>Weibull shape β</th>
                <td class="num">
                  ${w ? `${w.shape.toFixed(2)} (${w.shapeCi[0].toFixed(2)}–${w.shapeCi[1].toFixed(2)})` : '—'}
                </td>
                <th>scale η</th>
                <td class="num">
                  ${w ? `${w.scale.toFixed(0)} h (${w.scaleCi[0].toFixed(0)}–${w.scaleCi[1].toFixed(0)})` : '—'}
                </td>
                <td colspan="2" class="muted">
                  ${w ? weibullPattern(w.shape, w.shapeCi) : 'too few failures for a fit'}
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      </div>
      <div class="row">
        <div class="card">
          <h2>Kaplan–Meier survival with its 95 % interval (censored runs ticked)</h2>
          <div id="km" class="chart"></div>
        </div>
        <div class="card">
          <h2>Weibull plot</h2>
          <div id="weibull" class="chart"></div>
        </div>
        <div class="card">
          <h2>Failure Pareto by mode</h2>
          <div id="pareto" class="chart"></div>
        </div>
      </div>`,
  );
  const go = () => {
    const p = new URLSearchParams();
    const c = (el.querySelector('#r-class') as HTMLSelectElement).value;
    const m = (el.querySelector('#r-mode') as HTMLSelectElement).value;
    if (c) p.set('class', c);
    if (m) p.set('mode', m);
    location.hash = `#/reliability?${p}`;
  };
  el.querySelector('#r-class')?.addEventListener('change', go);
  el.querySelector('#r-mode')?.addEventListener('change', go);

  const km = r.kaplan_meier;
  // The 95 % band (log-log Greenwood) as a stacked area over its invisible floor; where no interval
  // exists (S = 0) it closes onto the curve.
  const lo = [1, ...km.map((k) => k.lo ?? k.survival)];
  const hi = [1, ...km.map((k) => k.hi ?? k.survival)];
  const at = [0, ...km.map((k) => k.hours)];
  chart(el.querySelector('#km') as HTMLElement, {
    tooltip: { trigger: 'axis' },
    legend: {
      top: 0,
      right: 10,
      itemHeight: 8,
      data: ['survival', { name: '95 % interval', icon: 'rect' }, 'censored run'],
    },
    grid: { left: 50, right: 20, top: 20, bottom: 40 },
    xAxis: { type: 'value', name: 'hours in service', nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', min: 0, max: 1, name: 'survival' },
    series: [
      ...bandSeries({
        name: '95 % interval',
        floorName: 'band low',
        x: at,
        lo,
        hi,
        rgb: '79,179,255',
        step: 'end',
        tooltip: false,
      }),
      {
        name: 'survival',
        type: 'line',
        step: 'end',
        showSymbol: false,
        itemStyle: { color: '#2b7bd9' },
        data: [[0, 1], ...km.map((k) => [k.hours, k.survival])],
      },
      {
        // A tick where a run was censored (still running, or stopped by maintenance before failing).
        name: 'censored run',
        type: 'scatter',
        symbol: 'rect',
        symbolSize: [2, 10],
        itemStyle: { color: '#1d2733' },
        data: r.kaplan_meier_censored.map((c) => [c.hours, c.survival]),
      },
    ],
  });
  // Weibull coordinates: x = ln t, y = ln(-ln S); the fit is the line y = β (ln t - ln η).
  const pts = km
    .filter((k) => k.survival > 0 && k.survival < 1 && k.hours > 0)
    .map((k) => [Math.log(k.hours), Math.log(-Math.log(k.survival))]);
  const xs = pts.map((p) => p[0] as number);
  const line =
    w && xs.length > 0
      ? [Math.min(...xs), Math.max(...xs)].map((x) => [x, w.shape * (x - Math.log(w.scale))])
      : [];
  chart(el.querySelector('#weibull') as HTMLElement, {
    tooltip: {},
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    xAxis: { type: 'value', name: 'ln(hours)', nameLocation: 'middle', nameGap: 25, scale: true },
    yAxis: { type: 'value', name: 'ln(−ln S)', scale: true },
    series: [
      { name: 'Kaplan–Meier', type: 'scatter', data: pts },
      { name: 'Weibull fit', type: 'line', showSymbol: false, data: line },
    ],
  });
  chart(el.querySelector('#pareto') as HTMLElement, {
    tooltip: { trigger: 'axis' },
    grid: { left: 50, right: 50, top: 20, bottom: 40 },
    xAxis: { type: 'category', data: r.pareto.map((p) => p.mode) },
    yAxis: [
      { type: 'value', name: 'failures' },
      { type: 'value', max: 1, name: 'cumulative', position: 'right' },
    ],
    series: [
      { type: 'bar', data: r.pareto.map((p) => p.failures), itemStyle: { color: '#d9342b' } },
      { type: 'line', yAxisIndex: 1, data: r.pareto.map((p) => p.cumulative_share) },
    ],
  });
}
