/**
 * Equipment: sensor traces with the rolling 1 h mean and band, maintenance and failure markers,
 * batch bands (which product ran), the failure probability and RUL over time with intervals, and
 * the drivers of the latest score.
 */
import { html, setHtml } from '../html.ts';
import { get } from '../api.ts';
import type { Alert } from '../api.ts';
import { bandSeries, chart, fmtTime, pct } from '../charts.ts';

interface Health {
  equipment: string;
  site: string | null;
  line: string | null;
  equipment_class: string | null;
  from: string;
  to: string;
  step_s: number;
  readings: number;
  t: string[];
  sensors: {
    sensor: string;
    mean: (number | null)[];
    min: (number | null)[];
    max: (number | null)[];
    rolling_mean_1h: (number | null)[];
    rolling_std_1h: (number | null)[];
  }[];
  maintenance: { ts: string; kind: string; mode: string | null; ended_at: string | null }[];
  batches: { batch_id: string; product: string; start: string; end: string | null }[];
  events: { ts: string; kind: string; sensor: string | null; detail: string }[];
  /** Unit of each sensor from the plant file (empty without one). */
  units: Record<string, string>;
  /** Plausible range of each sensor from the plant file (empty without one). */
  ranges?: Record<string, [number, number]>;
  timezone: string;
  forecasts: {
    ts: string;
    probability: number | null;
    health: number | null;
    rul_h: number | null;
    rul_lo_h: number | null;
    rul_hi_h: number | null;
  }[];
  latest_score: {
    at: string;
    status?: 'ok' | 'insufficient_data';
    insufficient?: { reason: string } | null;
    failure: {
      probability: number;
      horizon_h: number;
      model: string;
      version?: string;
      note?: string;
    } | null;
    failure_by_mode: { mode: string; probability: number }[];
    failure_by_horizon?: { horizon_h: number; probability: number }[];
    rul: { hours: number; low: number; high: number; model: string; note?: string } | null;
    top_features: { feature: string; contribution: number }[];
    anomaly?: {
      health: number;
      percentile: number;
      alarm: boolean;
      alarm_health: number;
      model: string;
      drivers: { feature: string; sensor: string; z: number; value: number; expected: number }[];
    } | null;
    answered_by?: { risk: string; reason: string };
    recommended_action: { action: string; reason: string };
    quality: {
      characteristic: string;
      to_limit_running_h: number | null;
      cpk_now: number | null;
      limit: string | null;
    }[];
  } | null;
}

const PRODUCT_COLOURS = [
  'rgba(79,179,255,0.10)',
  'rgba(255,193,79,0.12)',
  'rgba(140,220,120,0.12)',
  'rgba(200,120,255,0.10)',
];

export async function equipmentView(el: HTMLElement, id?: string): Promise<void> {
  if (!id) throw new Error('no equipment given: pick one in the fleet view');
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const hours = params.get('hours') ?? '48';
  const [h, al] = await Promise.all([
    get<Health>(`/v1/equipment/${encodeURIComponent(id)}/health?hours=${encodeURIComponent(hours)}`),
    get<{ alerts: Alert[] }>(`/v1/alerts?equipment=${encodeURIComponent(id)}`),
  ]);
  const s = h.latest_score;
  setHtml(
    el,
    html` <h1>
        ${h.equipment}
        <span class="muted">${[h.site, h.line, h.equipment_class].filter(Boolean).join(' · ')}</span>
      </h1>
      ${al.alerts.map(
        (a) =>
          html`<p class="warn equipment-alert" data-alert="${a.id}">
            <a href="#/alerts">Alert</a> (${a.state}${a.top_tier === 'work_order' ? ', work order' : ''},
            since ${a.opened_at.replace('T', ' ').slice(0, 16)} UTC): ${a.reason}
          </p>`,
      )}
      ${s?.status === 'insufficient_data' ? html`<p class="warn" id="insufficient">Not scored: insufficient data — ${s.insufficient?.reason ?? ''}</p>` : ''}
      <div class="kpis">
        <div class="kpi">
          Failure within ${s?.failure?.horizon_h ?? '—'} h<b id="kpi-p"
            >${s?.failure ? pct(s.failure.probability) : '—'}</b
          >${s?.failure ? html`<span class="muted ${s.failure.model.startsWith('baseline:') ? 'warn' : ''}" title="${s.failure.note ?? ''}">by ${s.failure.model}</span>` : ''}
        </div>
        ${(s?.failure_by_horizon ?? [])
          .filter((h) => h.horizon_h !== s?.failure?.horizon_h)
          .map(
            (h) => html`<div class="kpi">Failure within ${h.horizon_h} h<b>${pct(h.probability)}</b></div>`,
          )}
        ${(s?.failure_by_mode ?? []).map((m) => html`<div class="kpi">${m.mode}<b>${pct(m.probability)}</b></div>`)}
        ${
          s?.anomaly
            ? html`<div class="kpi" id="kpi-health">
                Health index<b class="${s.anomaly.alarm ? 'warn' : ''}">${s.anomaly.health.toFixed(2)}</b
                ><span class="muted" title="${s.answered_by?.reason ?? ''}"
                  >${s.anomaly.alarm ? `alarm (≤ ${s.anomaly.alarm_health.toFixed(2)})` : `alarm at ≤ ${s.anomaly.alarm_health.toFixed(2)}`}${s.anomaly.drivers[0] ? ` · ${s.anomaly.drivers[0].feature} ${s.anomaly.drivers[0].z > 0 ? '+' : ''}${s.anomaly.drivers[0].z} σ` : ''}</span
                >
              </div>`
            : ''
        }
        <div class="kpi">
          RUL (10–90
          %)<b>${s?.rul ? `${s.rul.hours.toFixed(0)} h (${s.rul.low.toFixed(0)}–${s.rul.high.toFixed(0)})` : '—'}</b>${s?.rul ? html`<span class="muted ${s.rul.model.startsWith('baseline:') ? 'warn' : ''}" title="${s.rul.note ?? ''}">by ${s.rul.model}</span>` : ''}
        </div>
        <div class="kpi" style="flex:1">
          Recommended<b style="font-size:1rem"
            >${s ? `${s.recommended_action.action.replaceAll('_', ' ')}` : '—'}</b
          ><span class="muted">${s?.recommended_action.reason ?? 'no recent readings to score'}</span>
        </div>
        ${(s?.quality ?? []).map((q) => html`<div class="kpi">${q.characteristic}<b>${q.to_limit_running_h === null ? 'in spec' : `${q.to_limit_running_h.toFixed(0)} h to ${q.limit}`}</b><span class="muted">Cpk ${q.cpk_now ?? '—'}</span></div>`)}
      </div>
      <p class="muted">
        ${h.readings.toLocaleString()} readings from ${fmtTime(h.from)} to ${fmtTime(h.to)} in ${h.step_s} s
        buckets · <a href="#/equipment/${encodeURIComponent(id)}?hours=24">24 h</a> ·
        <a href="#/equipment/${encodeURIComponent(id)}?hours=48">48 h</a> ·
        <a href="#/equipment/${encodeURIComponent(id)}?hours=168">7 d</a>
      </p>
      <p class="legend" id="product-legend"></p>
      <div class="row">
        <div class="card" style="flex-basis:100%">
          <h2>Failure probability, health index and RUL over time</h2>
          <div id="risk" class="chart"></div>
        </div>
        <div class="card">
          <h2>Drivers of the latest score</h2>
          <div id="drivers" class="chart short"></div>
        </div>
      </div>
      <div class="row" id="sensors"></div>`,
  );

  // Batch bands and maintenance markers shared by every time chart.
  const products = [...new Set(h.batches.map((b) => b.product))];
  // What the coloured bands behind every time chart mean: the product each batch made.
  const colourOf = (p: string) => PRODUCT_COLOURS[products.indexOf(p) % PRODUCT_COLOURS.length];
  setHtml(
    el.querySelector('#product-legend') as HTMLElement,
    products.length === 0
      ? html`<span class="muted">No batch ran in this period (no product bands).</span>`
      : html`Batch bands by product:
        ${products.map(
          (p) =>
            html`<span class="swatch" style="background:${colourOf(p)}"></span
              ><span class="product">${p}</span> `,
        )}
        · lines: blue maintenance, red failure`,
  );
  const bands = h.batches.map((b) => [
    {
      xAxis: b.start,
      name: b.product,
      itemStyle: { color: colourOf(b.product) },
    },
    { xAxis: b.end ?? h.to },
  ]);
  const marks = markerLines(h.maintenance, Date.parse(h.from), Date.parse(h.to));
  const overlays = {
    markArea: { silent: true, label: { show: false }, data: bands as never },
    markLine: { symbol: 'none', label: { formatter: '{b}', fontSize: 10 }, data: marks as never },
  };

  const fc = h.forecasts;
  chart(el.querySelector('#risk') as HTMLElement, {
    tooltip: { trigger: 'axis' },
    // 'RUL low' is only the band's invisible floor: not a legend entry.
    legend: {
      top: 0,
      data: ['failure probability', 'health index', { name: 'RUL 10–90 %', icon: 'rect' }, 'RUL'],
    },
    grid: { left: 50, right: 60, top: 30, bottom: 30 },
    xAxis: { type: 'time', min: h.from, max: h.to, name: 'UTC', nameGap: 8 },
    yAxis: [
      { type: 'value', name: 'probability', min: 0, max: 1 },
      { type: 'value', name: 'RUL h', position: 'right' },
    ],
    series: [
      {
        name: 'failure probability',
        type: 'line',
        showSymbol: false,
        data: fc.map((f) => [f.ts, f.probability]),
        ...overlays,
      },
      {
        name: 'health index',
        type: 'line',
        showSymbol: false,
        lineStyle: { type: 'dashed' },
        data: fc.filter((f) => f.health !== null).map((f) => [f.ts, f.health]),
      },
      ...bandSeries({
        name: 'RUL 10–90 %',
        floorName: 'RUL low',
        x: fc.map((f) => f.ts),
        lo: fc.map((f) => f.rul_lo_h),
        hi: fc.map((f) => f.rul_hi_h),
        rgb: '120,120,200',
        yAxisIndex: 1,
      }),
      { name: 'RUL', type: 'line', yAxisIndex: 1, showSymbol: false, data: fc.map((f) => [f.ts, f.rul_h]) },
    ],
  });

  const drivers = [...(s?.top_features ?? [])].reverse();
  if (drivers.length === 0) {
    // A reference (climatology, persistence) has no drivers: say so instead of an empty chart.
    (el.querySelector('#drivers') as HTMLElement).className = '';
    setHtml(
      el.querySelector('#drivers') as HTMLElement,
      html`<p class="muted" id="no-drivers">
        ${s?.failure ? `No drivers: ${s.failure.model} answered, which uses no feature.` : 'No failure score yet.'}
      </p>`,
    );
  } else
    chart(el.querySelector('#drivers') as HTMLElement, {
      grid: { left: 220, right: 30, top: 10, bottom: 25 },
      xAxis: { type: 'value', name: 'contribution' },
      yAxis: { type: 'category', data: drivers.map((d) => d.feature) },
      series: [
        {
          type: 'bar',
          data: drivers.map((d) => ({
            value: d.contribution,
            itemStyle: { color: d.contribution >= 0 ? '#d9342b' : '#2b9d5c' },
          })),
        },
      ],
    });

  const box = el.querySelector('#sensors') as HTMLElement;
  for (const tr of h.sensors) {
    const card = document.createElement('div');
    card.className = 'card';
    setHtml(
      card,
      html`<h2>
          ${tr.sensor}${h.units[tr.sensor] ? html` <span class="muted">[${h.units[tr.sensor]}]</span>` : ''}
        </h2>
        <div class="chart sensor-chart" data-sensor="${tr.sensor}"></div>`,
    );
    box.appendChild(card);
    // The ±2σ band, cut at the lowest value the sensor can read (RMS, current, pressure are never
    // below 0: a band below it drew negative axes).
    const floor = h.ranges?.[tr.sensor]?.[0] ?? -Infinity;
    const lo = tr.rolling_mean_1h.map((m, i) =>
      m === null || tr.rolling_std_1h[i] === null
        ? null
        : Math.max(floor, m - 2 * (tr.rolling_std_1h[i] as number)),
    );
    const hi = tr.rolling_mean_1h.map((m, i) =>
      m === null || tr.rolling_std_1h[i] === null ? null : m + 2 * (tr.rolling_std_1h[i] as number),
    );
    const meanName = `mean per ${h.step_s} s`;
    chart(card.querySelector('.chart') as HTMLElement, {
      tooltip: { trigger: 'axis' },
      // What each line and the band are ('band low' is only the band's invisible floor).
      legend: {
        top: 0,
        right: 10,
        itemHeight: 8,
        data: [meanName, '1 h rolling mean', { name: '1 h mean ± 2σ', icon: 'rect' }],
      },
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: 'time', min: h.from, max: h.to, name: 'UTC', nameGap: 8 },
      yAxis: {
        type: 'value',
        scale: true,
        name: h.units[tr.sensor] ?? '',
        // A little room below the lowest value, never below what the sensor can read (the nice
        // rounding of a scaled axis took speed at 0 rpm down to -5,000).
        ...(floor > -Infinity
          ? {
              min: (v: { min: number; max: number }) =>
                Math.max(floor, niceBelow(v.min - 0.05 * (v.max - v.min), v.max - v.min)),
            }
          : {}),
      },
      series: [
        ...bandSeries({
          name: '1 h mean ± 2σ',
          floorName: 'band low',
          x: h.t,
          lo,
          hi,
          rgb: '79,179,255',
        }),
        {
          name: meanName,
          type: 'line',
          showSymbol: false,
          itemStyle: { color: '#1d2733' },
          lineStyle: { width: 1, color: '#1d2733' },
          data: h.t.map((t, i) => [t, tr.mean[i]]),
          ...overlays,
        },
        {
          name: '1 h rolling mean',
          type: 'line',
          showSymbol: false,
          itemStyle: { color: '#2b7bd9' },
          lineStyle: { width: 1.5, color: '#2b7bd9' },
          data: h.t.map((t, i) => [t, tr.rolling_mean_1h[i]]),
        },
      ],
    });
  }
}

/**
 * Maintenance and failure lines. Events closer than 4 % of the chart's span share one line (a
 * failure and its repair minutes apart had labels printed over each other: "failure:repair:wear"),
 * red if any was a failure. Only lines with a failure are labelled; the others are explained by
 * the legend above the charts and named in the tooltip.
 */
function markerLines(
  events: readonly { ts: string; kind: string; mode: string | null }[],
  from: number,
  to: number,
) {
  const gap = 0.04 * Math.max(1, to - from);
  const groups: { at: number; names: string[]; failure: boolean }[] = [];
  for (const m of [...events].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts))) {
    const at = Date.parse(m.ts);
    const name = m.kind === 'failure' ? `failure: ${m.mode ?? 'unknown mode'}` : m.kind;
    const last = groups[groups.length - 1];
    if (last !== undefined && at - last.at < gap) {
      if (!last.names.includes(name)) last.names.push(name);
      last.failure ||= m.kind === 'failure';
    } else groups.push({ at, names: [name], failure: m.kind === 'failure' });
  }
  // Labelled failures are also kept apart: a second label within 12 % of the span is left to the tooltip.
  let lastLabel = -Infinity;
  return groups.map((g) => {
    const labelled = g.failure && g.at - lastLabel >= 3 * gap;
    if (labelled) lastLabel = g.at;
    return {
      xAxis: new Date(g.at).toISOString(),
      name: g.names.filter((n) => n.startsWith('failure')).join(' + ') || g.names.join(' + '),
      label: { show: labelled },
      tooltip: { formatter: g.names.join(' + ') },
      lineStyle: { color: g.failure ? '#d9342b' : '#2b7bd9', width: g.failure ? 2 : 1 },
    };
  });
}

/**
 * A round number at or below `x` on the scale of `span` (a tenth of its order of magnitude), so that
 * an axis's lowest label reads "0.4" or "30", not "0.40674499999999" or "30.587224999999997".
 */
function niceBelow(x: number, span: number): number {
  if (!Number.isFinite(x) || !(span > 0)) return x;
  const step = 10 ** (Math.floor(Math.log10(span)) - 1);
  return Number((Math.floor(x / step) * step).toPrecision(12));
}
