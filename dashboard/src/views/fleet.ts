/** Fleet: every equipment in the ISA-95 tree coloured by failure risk, with the batch running now. */
import { html, setHtml } from '../html.ts';
import { get } from '../api.ts';
import type { Alert, Equipment, Forecast } from '../api.ts';
import { chart, fmtClock, fmtTime, pct, riskColour } from '../charts.ts';
import { likelyMode } from '../modes.ts';

/** The health index as a short text: "health 0.82", with the departing sensor while in alarm. */
function healthText(f: Forecast | undefined): string {
  if (f?.health === null || f?.health === undefined) return '';
  return `health ${f.health.toFixed(2)}${f.health_driver ? ` · ${f.health_driver}` : ''}`;
}

/** A tile's or cell's risk: the probability, or the health index where no failure model answers yet. */
function riskOf(f: Forecast): { text: string; colour: string } {
  if (Number.isFinite(f.probability) && f.probability !== null)
    return { text: pct(f.probability), colour: riskColour(f.probability) };
  if (f.health !== null) return { text: healthText(f), colour: riskColour(1 - f.health) };
  return { text: 'no forecast', colour: '#b8c2cc' };
}

const badge = (n: number) => `${n} active alert${n === 1 ? '' : 's'}`;

export async function fleetView(el: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const horizon = params.get('horizon') ?? '24';
  const [eq, fc, al] = await Promise.all([
    get<{ equipment: Equipment[] }>('/v1/equipment'),
    get<{ forecasts: Forecast[]; horizons_h: number[] }>(
      `/v1/forecasts?horizon=${encodeURIComponent(horizon)}`,
    ),
    get<{ alerts: Alert[] }>('/v1/alerts'),
  ]);
  const alertsOf = new Map<string, number>();
  for (const a of al.alerts) alertsOf.set(a.equipment, (alertsOf.get(a.equipment) ?? 0) + 1);
  const byId = new Map(fc.forecasts.map((f) => [f.equipment, f]));
  const rows = eq.equipment.map((e) => ({ ...e, f: byId.get(e.equipment) }));
  const lines = [...new Set(rows.map((r) => r.line ?? '-'))].sort();
  const classes = [...new Set(rows.map((r) => r.equipment_class ?? '-'))].sort();
  setHtml(
    el,
    html` <h1>Fleet — failure risk within ${horizon} h</h1>
      <div class="filters">
        <label
          >Line
          <select id="f-line">
            <option value="">all</option>
            ${lines.map((l) => html`<option ${l === params.get('line') ? 'selected' : ''}>${l}</option>`)}
          </select></label
        >
        <label
          >Class
          <select id="f-class">
            <option value="">all</option>
            ${classes.map((c) => html`<option ${c === params.get('class') ? 'selected' : ''}>${c}</option>`)}
          </select></label
        >
        <label
          >Horizon
          <select id="f-h">
            ${[...new Set([...fc.horizons_h.map(String), horizon])]
              .sort((a, b) => Number(a) - Number(b))
              .map(
                (h) =>
                  html`<option value="${h}" ${h === horizon ? 'selected' : ''}>
                    ${h}${fc.horizons_h.includes(Number(h)) ? '' : ' (no model)'}
                  </option>`,
              )}
          </select>
          h</label
        >
        <span class="muted">${rows.length} equipment, ${fc.forecasts.length} with a forecast</span>
      </div>
      ${
        fc.horizons_h.includes(Number(horizon))
          ? ''
          : html`<p class="warn" id="no-horizon">
              No model forecasts failure within ${horizon}
              h${fc.horizons_h.length > 0 ? html`: the served horizons are ${fc.horizons_h.map((h, i) => html`${i > 0 ? ', ' : ''}<a href="#/fleet?horizon=${h}">${h} h</a>`)}` : ' yet'}.
              A horizon is set in PDM_FAILURE_HORIZONS and gets its model once the history spans twice it plus
              two days.
            </p>`
      }
      <div class="row">
        <div class="card">
          <div id="tree"></div>
          <h2>Risk ranking</h2>
          <div id="risk-bars" class="chart short"></div>
        </div>
        <div class="card" style="flex-basis: 100%">
          <div class="table-scroll">
            <table id="fleet-table">
              <thead></thead>
              <tbody></tbody>
            </table>
          </div>
        </div>
      </div>`,
  );
  const sel = (id: string) => el.querySelector<HTMLSelectElement>(id) as HTMLSelectElement;
  // Filters and sort live in the URL, so a refresh (or a shared link) shows the same selection.
  const SORTS = ['probability', 'equipment', 'line', 'rul'] as const;
  let sortKey: (typeof SORTS)[number] = SORTS.find((k) => k === params.get('sort')) ?? 'probability';
  let sortDir =
    params.get('dir') === 'asc' ? 1 : params.get('dir') === 'desc' ? -1 : sortKey === 'probability' ? -1 : 1;
  const remember = () => {
    const p = new URLSearchParams({ horizon });
    if (sel('#f-line').value) p.set('line', sel('#f-line').value);
    if (sel('#f-class').value) p.set('class', sel('#f-class').value);
    p.set('sort', sortKey);
    p.set('dir', sortDir < 0 ? 'desc' : 'asc');
    history.replaceState(null, '', `#/fleet?${p}`);
  };

  const render = () => {
    const line = sel('#f-line').value;
    const cls = sel('#f-class').value;
    const shown = rows
      .filter((r) => (!line || r.line === line) && (!cls || r.equipment_class === cls))
      .sort((a, b) => {
        const v = (r: (typeof rows)[number]) =>
          sortKey === 'probability'
            ? (r.f?.probability ?? -1)
            : sortKey === 'rul'
              ? (r.f?.rul_h ?? Infinity)
              : String(r[sortKey] ?? '');
        const x = v(a);
        const y = v(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
      });
    // ISA-95 tree: site > line > equipment tiles, coloured by risk, with the batch running now.
    const sites = new Map<string, Map<string, typeof shown>>();
    for (const r of shown) {
      const site = sites.get(r.site ?? '-') ?? new Map<string, typeof shown>();
      site.set(r.line ?? '-', [...(site.get(r.line ?? '-') ?? []), r]);
      sites.set(r.site ?? '-', site);
    }
    setHtml(
      el.querySelector('#tree') as HTMLElement,
      html`${[...sites].map(
        ([site, ls]) =>
          html`<div class="site">
            <div class="site-name">${site}</div>
            ${[...ls].map(
              ([ln, list]) =>
                html`<div class="line">
                  <div class="line-name">${ln}</div>
                  <div class="tiles">
                    ${list.map(
                      (r) =>
                        html`<a
                          class="tile"
                          href="#/equipment/${encodeURIComponent(r.equipment)}"
                          data-equipment="${r.equipment}"
                          style="background:${r.f && r.f.status === 'ok' ? riskOf(r.f).colour : '#b8c2cc'}"
                          title="${r.f ? healthText(r.f) : ''}"
                        >
                          <b>${r.equipment}</b
                          ><span
                            >${r.f ? (r.f.status === 'insufficient_data' ? 'insufficient data' : riskOf(r.f).text) : 'no forecast'}</span
                          >
                          <small
                            >${r.f?.running_batch ? `${r.f.running_batch.batch_id} · ${r.f.running_batch.product}` : 'idle'}</small
                          >${
                            alertsOf.has(r.equipment)
                              ? html`<em class="alert-badge">${badge(alertsOf.get(r.equipment) ?? 0)}</em>`
                              : ''
                          }</a
                        >`,
                    )}
                  </div>
                </div>`,
            )}
          </div>`,
      )}`,
    );
    const ranked = [...shown]
      .filter((r) => r.f)
      .sort((a, b) => (a.f?.probability ?? 0) - (b.f?.probability ?? 0));
    chart(el.querySelector('#risk-bars') as HTMLElement, {
      tooltip: { trigger: 'axis' },
      grid: { left: 90, right: 30, top: 10, bottom: 30 },
      xAxis: { type: 'value', min: 0, max: 1, name: 'probability' },
      yAxis: { type: 'category', data: ranked.map((r) => r.equipment) },
      series: [
        {
          type: 'bar',
          data: ranked.map((r) => ({
            value: r.f?.probability ?? 0,
            itemStyle: { color: riskColour(r.f?.probability ?? 0) },
          })),
        },
      ],
    });
    const th = (key: typeof sortKey | '', label: string, num = false) =>
      html`<th ${key ? html`data-sort="${key}"` : ''} class="${num ? 'num' : ''}">
        ${label}${key === sortKey ? (sortDir < 0 ? ' ▼' : ' ▲') : ''}
      </th>`;
    setHtml(
      el.querySelector('#fleet-table thead') as HTMLElement,
      html`<tr>
        ${th('equipment', 'Equipment')}${th('line', 'Line')}${th('', 'Class')}${th('probability', 'Risk', true)}${th('', 'Health', true)}${th('', 'Likely mode')}${th('rul', 'RUL h (10–90 %)', true)}${th('', 'Running batch')}${th('', 'Maintenance window')}
      </tr>`,
    );
    setHtml(
      el.querySelector('#fleet-table tbody') as HTMLElement,
      html`${shown.map(
        (r) =>
          html`<tr class="clickable" data-equipment="${r.equipment}">
            <td>${r.equipment}</td>
            <td>${r.line ?? ''}</td>
            <td>${r.equipment_class ?? ''}</td>
            <td class="num">
              ${r.f ? (r.f.status === 'insufficient_data' ? html`<span class="warn">insufficient data</span>` : Number.isFinite(r.f.probability) && r.f.probability !== null ? html`<span class="risk" style="background:${riskColour(r.f.probability)}">${pct(r.f.probability)}</span>` : html`<span class="muted">no failure model</span>`) : '—'}
            </td>
            <td class="num">${r.f && r.f.health !== null ? healthText(r.f) : '—'}</td>
            <td>${likelyMode(r.f)}</td>
            <td class="num">
              ${r.f && Number.isFinite(r.f.rul_h) ? `${r.f.rul_h.toFixed(0)} (${r.f.rul_lo_h.toFixed(0)}–${r.f.rul_hi_h.toFixed(0)})` : '—'}
            </td>
            <td>
              ${r.f?.running_batch ? `${r.f.running_batch.batch_id} · ${r.f.running_batch.product}` : html`<span class="muted">idle</span>`}
            </td>
            <td>
              ${r.f?.maintenance_window ? `${fmtTime(r.f.maintenance_window.start).slice(0, -4)} → ${fmtClock(r.f.maintenance_window.end)}` : '—'}
            </td>
          </tr>`,
      )}`,
    );
  };
  el.addEventListener('click', (e) => {
    const t = e.target as HTMLElement;
    const sort = t.closest('th')?.getAttribute('data-sort');
    if (sort) {
      sortDir = sort === sortKey ? -sortDir : sort === 'probability' ? -1 : 1;
      sortKey = sort as typeof sortKey;
      remember();
      render();
      return;
    }
    const row = t.closest('tr[data-equipment]');
    if (row)
      location.hash = `#/equipment/${encodeURIComponent(row.getAttribute('data-equipment') as string)}`;
  });
  const refilter = () => {
    remember();
    render();
  };
  sel('#f-line').addEventListener('change', refilter);
  sel('#f-class').addEventListener('change', refilter);
  sel('#f-h').addEventListener('change', () => {
    const p = new URLSearchParams(location.hash.split('?')[1] ?? '');
    p.set('horizon', sel('#f-h').value);
    location.hash = `#/fleet?${p}`;
  });
  render();
}
