/**
 * ECharts behind one helper: every chart records how many data points it drew in
 * `data-points` on its element, so the browser tests check charts rendered with data.
 */
import * as echarts from 'echarts';

const charts = new Set<echarts.ECharts>();
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

export function chart(el: HTMLElement, option: echarts.EChartsOption): echarts.ECharts {
  const c = echarts.init(el, undefined, { renderer: 'canvas' });
  // Time axes and tooltips in UTC, like every table here (ECharts would use the browser's zone).
  c.setOption({ animation: false, useUTC: true, ...option });
  charts.add(c);
  const series = (Array.isArray(option.series) ? option.series : option.series ? [option.series] : []) as {
    data?: unknown[];
  }[];
  const points = series.reduce((s, x) => s + (Array.isArray(x.data) ? x.data.length : 0), 0);
  el.dataset.points = String(points);
  el.classList.add('rendered');
  return c;
}

export function disposeAll(): void {
  charts.forEach((c) => c.dispose());
  charts.clear();
}

/** Green to red by failure probability. */
export function riskColour(p: number): string {
  const x = Math.max(0, Math.min(1, p));
  const r = Math.round(60 + 190 * Math.min(1, x * 2));
  const g = Math.round(170 - 130 * Math.max(0, x * 2 - 1) - 40 * Math.min(1, x * 2));
  return `rgb(${r},${g},60)`;
}

export { fmtClock, fmtTime, pct } from './format.ts';
