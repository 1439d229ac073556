/**
 * ECharts behind one helper: every chart records how many data points it drew in
 * `data-points` on its element, so the browser tests check charts rendered with data.
 */
import * as echarts from 'echarts';

const charts = new Set<echarts.ECharts>();
/** The charts each rendering of a view drew, so a refresh disposes the old ones once the new are shown. */
const byView = new WeakMap<Element, Set<echarts.ECharts>>();
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

export function chart(el: HTMLElement, option: echarts.EChartsOption): echarts.ECharts {
  // SVG: text stays text (selectable, and the browser tests can check that no label is cut off).
  const c = echarts.init(el, undefined, { renderer: 'svg' });
  // Time axes and tooltips in UTC, like every table here (ECharts would use the browser's zone).
  c.setOption({ animation: false, useUTC: true, ...withDayTicks(withRoomForAxisNames(option)) });
  charts.add(c);
  const view = el.closest('main');
  if (view) byView.set(view, (byView.get(view) ?? new Set()).add(c));
  const series = (Array.isArray(option.series) ? option.series : option.series ? [option.series] : []) as {
    data?: unknown[];
  }[];
  const points = series.reduce((s, x) => s + (Array.isArray(x.data) ? x.data.length : 0), 0);
  el.dataset.points = String(points);
  el.classList.add('rendered');
  return c;
}

/**
 * A y axis's name sits above the axis end, `nameGap` (15 px) over the grid's top: a grid whose top
 * leaves less room than that and a line of text cut the name off ("survival", "failures", "true
 * positive rate" were). Such grids are moved down to make the room.
 */
function withRoomForAxisNames(option: echarts.EChartsOption): echarts.EChartsOption {
  const ys = (Array.isArray(option.yAxis) ? option.yAxis : option.yAxis ? [option.yAxis] : []) as {
    name?: string;
    nameLocation?: string;
  }[];
  const named = ys.some(
    (y) => typeof y.name === 'string' && y.name !== '' && (y.nameLocation ?? 'end') === 'end',
  );
  const grid = option.grid as { top?: number | string } | undefined;
  if (!named || Array.isArray(option.grid)) return option;
  const top = typeof grid?.top === 'number' ? grid.top : 60;
  const needed = option.legend ? 52 : 34;
  return top >= needed ? option : { ...option, grid: { ...grid, top: needed } };
}

/** Time-axis labels at each level: a day tick says which day ("3 Dec", not a bare "3"). */
const TIME_LABELS = {
  year: '{yyyy}',
  month: '{MMM} {yyyy}',
  day: '{d} {MMM}',
  hour: '{HH}:{mm}',
  minute: '{HH}:{mm}',
  second: '{HH}:{mm}:{ss}',
};

function withDayTicks(option: echarts.EChartsOption): echarts.EChartsOption {
  const fix = (x: Record<string, unknown>) =>
    x.type === 'time' && (x.axisLabel as { formatter?: unknown } | undefined)?.formatter === undefined
      ? { ...x, axisLabel: { ...(x.axisLabel as object | undefined), formatter: TIME_LABELS } }
      : x;
  const xs = option.xAxis as Record<string, unknown> | Record<string, unknown>[] | undefined;
  if (xs === undefined) return option;
  return { ...option, xAxis: (Array.isArray(xs) ? xs.map(fix) : fix(xs)) as echarts.EChartsOption['xAxis'] };
}

/**
 * A shaded band from `lo` to `hi` over `x`, as ECharts draws one: an invisible floor series (named
 * `floorName`, left out of legends by listing their entries) and the band's width stacked on it.
 * The width is null where either end is.
 */
export function bandSeries(o: {
  name: string;
  floorName: string;
  x: readonly (string | number)[];
  lo: readonly (number | null)[];
  hi: readonly (number | null)[];
  /** "r,g,b" of the band. */
  rgb: string;
  step?: 'end';
  yAxisIndex?: number;
  /** false: no tooltip rows for the band. */
  tooltip?: boolean;
}): echarts.LineSeriesOption[] {
  const common: echarts.LineSeriesOption = {
    type: 'line',
    stack: o.name,
    showSymbol: false,
    lineStyle: { opacity: 0 },
    ...(o.step === undefined ? {} : { step: o.step }),
    ...(o.yAxisIndex === undefined ? {} : { yAxisIndex: o.yAxisIndex }),
    ...(o.tooltip === false ? { tooltip: { show: false } } : {}),
  };
  return [
    { ...common, name: o.floorName, data: o.x.map((t, i) => [t, o.lo[i] ?? null]) },
    {
      ...common,
      name: o.name,
      itemStyle: { color: `rgba(${o.rgb},0.45)` },
      areaStyle: { color: `rgba(${o.rgb},0.2)` },
      data: o.x.map((t, i) => {
        const lo = o.lo[i];
        const hi = o.hi[i];
        return [t, lo === null || lo === undefined || hi === null || hi === undefined ? null : hi - lo];
      }),
    },
  ];
}

/** Disposes the charts drawn inside one rendering of a view (a `main` element). */
export function disposeCharts(view: Element): void {
  for (const c of byView.get(view) ?? []) {
    c.dispose();
    charts.delete(c);
  }
  byView.delete(view);
}

/** Green to red by failure probability. */
export function riskColour(p: number): string {
  const x = Math.max(0, Math.min(1, p));
  const r = Math.round(60 + 190 * Math.min(1, x * 2));
  const g = Math.round(170 - 130 * Math.max(0, x * 2 - 1) - 40 * Math.min(1, x * 2));
  return `rgb(${r},${g},60)`;
}

export { fmtClock, fmtTime, pct } from './format.ts';
