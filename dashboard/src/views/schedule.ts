/**
 * Schedule: a Gantt of the batch running now and the planned batches per equipment, with the
 * predicted failure window (RUL 10-90 %) and the suggested maintenance window drawn on it (or,
 * when no gap fits before the failure, when to stop).
 */
import { escapeHtml, html, setHtml } from '../html.ts';
import * as echarts from 'echarts';
import { get } from '../api.ts';
import type { Forecast } from '../api.ts';
import { chart, pct, riskColour } from '../charts.ts';

type Bar = [number, number, number, string, string]; // row, start, end, kind, label

export async function scheduleView(el: HTMLElement): Promise<void> {
  const horizon = 168;
  const { forecasts } = await get<{ forecasts: Forecast[] }>(`/v1/forecasts?horizon=24`);
  const rows = forecasts.map((f) => f.equipment);
  const bars: Bar[] = [];
  let tMin = Infinity;
  let tMax = -Infinity;
  forecasts.forEach((f, r) => {
    const at = Date.parse(f.forecast_at);
    tMin = Math.min(tMin, at);
    tMax = Math.max(tMax, at + 24 * 3.6e6);
    // The running batch until its end as the engine plans around it (actual, planned, or typical).
    if (f.running_batch)
      bars.push([
        r,
        Date.parse(f.running_batch.started),
        f.running_until ? Date.parse(f.running_until) : at,
        'running',
        `${f.running_batch.batch_id} · ${f.running_batch.product} (running${f.running_until ? `, until ${f.running_until.slice(11, 16)} UTC` : ''})`,
      ]);
    for (const b of f.planned_batches) {
      const start = Date.parse(b.start);
      // A planned batch whose end nobody knows (no plan, no history of the product): drawn 4 h long.
      const end = b.end ? Date.parse(b.end) : start + 4 * 3.6e6;
      bars.push([r, start, end, 'planned', `${b.batch_id} · ${b.product}${b.end ? '' : ' (end unknown)'}`]);
      tMax = Math.max(tMax, end);
    }
    if (Number.isFinite(f.rul_lo_h) && Number.isFinite(f.rul_hi_h))
      bars.push([
        r,
        at + f.rul_lo_h * 3.6e6,
        at + f.rul_hi_h * 3.6e6,
        'failure',
        `failure window (RUL ${f.rul_lo_h.toFixed(0)}–${f.rul_hi_h.toFixed(0)} h), p24h ${pct(f.probability)}`,
      ]);
    if (f.maintenance_window) {
      bars.push([
        r,
        Date.parse(f.maintenance_window.start),
        Date.parse(f.maintenance_window.end),
        'maintenance',
        'suggested maintenance window',
      ]);
      tMax = Math.max(tMax, Date.parse(f.maintenance_window.end)); // a window after the horizon is still shown
    } else if (f.no_window)
      bars.push([
        r,
        Date.parse(f.no_window.stop_at),
        Date.parse(f.no_window.stop_at) + 2 * 3.6e6,
        'stop',
        f.no_window.reason,
      ]);
  });
  tMax = Math.min(tMax, tMin + horizon * 3.6e6);
  setHtml(
    el,
    html` <h1>Schedule — planned batches, predicted failure windows and suggested maintenance</h1>
      <p class="muted">
        Blue: running and planned batches · red: RUL 10–90 % failure window · green: suggested maintenance
        window (the first gap of 2 h between batches that ends before the RUL's low end) · dark red: no such
        gap, stop here (the tooltip names the batch it interrupts). Times in UTC; rows ordered by risk.
      </p>
      <div class="card">
        <div id="gantt" class="chart" style="height:${Math.max(260, 46 * rows.length + 80)}px"></div>
      </div>`,
  );
  const COLOURS: Record<string, string> = {
    running: '#2b7bd9',
    planned: '#8ab8e6',
    failure: 'rgba(217,52,43,0.35)',
    maintenance: '#2b9d5c',
    stop: '#8c1d18',
  };
  chart(
    el.querySelector('#gantt') as HTMLElement,
    {
      // ECharts renders a formatter's string as HTML: the label carries MES text (batch, product).
      tooltip: { formatter: (p: unknown) => escapeHtml(String((p as { value: Bar }).value[4])) },
      grid: { left: 110, right: 30, top: 20, bottom: 40 },
      xAxis: { type: 'time', min: tMin - 6 * 3.6e6, max: tMax, name: 'UTC', nameGap: 8 },
      yAxis: {
        type: 'category',
        data: rows,
        inverse: true,
        axisLabel: {
          formatter: (v: string) => v,
          color: (v?: string | number) =>
            riskColour(forecasts.find((f) => f.equipment === v)?.probability ?? 0),
        },
      },
      series: [
        {
          type: 'custom',
          encode: { x: [1, 2], y: 0 },
          data: bars,
          renderItem: (
            params: echarts.CustomSeriesRenderItemParams,
            api: echarts.CustomSeriesRenderItemAPI,
          ) => {
            const row = api.value(0) as number;
            const kind = (bars[params.dataIndex] as Bar)[3];
            const start = api.coord([api.value(1), row]);
            const end = api.coord([api.value(2), row]);
            const size = api.size?.([0, 1]) as number[];
            const h =
              (size[1] ?? 20) *
              (kind === 'failure' ? 0.9 : kind === 'maintenance' || kind === 'stop' ? 0.35 : 0.6);
            const rect = echarts.graphic.clipRectByRect(
              {
                x: start[0] as number,
                y: (start[1] as number) - h / 2,
                width: Math.max(2, (end[0] as number) - (start[0] as number)),
                height: h,
              },
              params.coordSys as unknown as { x: number; y: number; width: number; height: number },
            );
            return rect ? { type: 'rect', shape: rect, style: { fill: COLOURS[kind] } } : null;
          },
          // Where now is on the timeline (running batches left of it, the plan right of it).
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: '#1d2733', type: 'dashed' },
            // The category axis is inverted (riskiest on top): 'start' is the top of the line.
            label: { formatter: 'now', position: 'start' },
            data: [{ xAxis: Date.now() }],
          },
        },
      ],
    } as never,
  );
}
