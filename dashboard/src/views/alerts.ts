/**
 * Alerts: the active ones by line (open and acknowledged), each with its reason, tier and MES
 * context, and buttons to acknowledge or resolve it (an API key with the role is needed); below,
 * the history of the last 30 days. Times in UTC.
 */
import { html, orElse, setHtml } from '../html.ts';
import type { Html } from '../html.ts';
import { get, post } from '../api.ts';
import type { Alert } from '../api.ts';
import { fmtTime } from '../charts.ts';

const CAUSE: Record<string, string> = {
  failure_risk: 'failure risk',
  rul_before_batch_end: 'RUL ends before the batch',
  quality_drift: 'quality drift',
  anomaly: 'unusual behaviour',
  insufficient_data: 'insufficient data',
  silent: 'silent',
};

function mes(a: Alert): string {
  const m = [
    a.mes.order_id && `order ${a.mes.order_id}`,
    a.mes.batch_id && `batch ${a.mes.batch_id}`,
    a.mes.product,
  ]
    .filter(Boolean)
    .join(' · ');
  return m || '—';
}

function row(a: Alert, actions: boolean): Html {
  return html`<tr data-alert="${a.id}" class="tier-${a.top_tier}">
    <td><a href="#/equipment/${encodeURIComponent(a.equipment)}">${a.equipment}</a></td>
    <td>${a.line}</td>
    <td>${CAUSE[a.cause] ?? a.cause}</td>
    <td>${a.top_tier === 'work_order' ? 'work order' : a.tier}</td>
    <td>
      ${a.state}${a.state === 'suppressed' && a.suppressed_until ? ` until ${fmtTime(a.suppressed_until)}` : ''}
    </td>
    <td>${fmtTime(a.opened_at)}</td>
    <td class="reason">${a.reason}</td>
    <td>${mes(a)}</td>
    <td>${a.by}${a.note ? `: ${a.note}` : ''}</td>
    ${
      actions
        ? html`<td>
            ${a.state === 'open' ? html`<button data-act="ack" data-id="${a.id}">Acknowledge</button>` : ''}
            <button data-act="resolve" data-id="${a.id}">Resolve</button>
          </td>`
        : ''
    }
  </tr>`;
}

const HEAD = (actions: boolean) =>
  html`<thead>
    <tr>
      <th>Equipment</th>
      <th>Line</th>
      <th>Cause</th>
      <th>Tier</th>
      <th>State</th>
      <th>Opened</th>
      <th>Reason</th>
      <th>MES</th>
      <th>Last change by</th>
      ${actions ? html`<th></th>` : ''}
    </tr>
  </thead>`;

export async function alertsView(el: HTMLElement): Promise<void> {
  const [active, history] = await Promise.all([
    get<{ alerts: Alert[]; by_line: Record<string, number> }>('/v1/alerts'),
    get<{ alerts: Alert[] }>('/v1/alerts?state=all'),
  ]);
  const lines = Object.entries(active.by_line).sort((a, b) => b[1] - a[1]);
  const closed = history.alerts.filter((a) => a.state === 'resolved' || a.state === 'suppressed');
  setHtml(
    el,
    html`<h1>Alerts — ${active.alerts.length} active</h1>
      <p class="muted">
        Raised by the plant file's alert policy after each scoring run; one per equipment and cause, same
        cause on a line grouped. Acknowledging or resolving needs an API key with the role (button at the top
        right). Times in UTC.
      </p>
      <div class="filters" id="by-line">
        ${orElse(
          lines.map(([l, n]) => html`<span class="chip">${l}: ${n}</span>`),
          html`<span class="muted">no active alert</span>`,
        )}
      </div>
      <div class="card">
        <h2>Active</h2>
        <table id="alerts-active">
          ${HEAD(true)}
          <tbody>
            ${active.alerts.map((a) => row(a, true))}
          </tbody>
        </table>
        ${active.alerts.length === 0 ? html`<p class="muted">Nothing needs attention.</p>` : ''}
        <p id="alert-error" class="error" hidden></p>
      </div>
      <div class="card">
        <h2>History (30 days)</h2>
        <table id="alerts-history">
          ${HEAD(false)}
          <tbody>
            ${closed.map((a) => row(a, false))}
          </tbody>
        </table>
      </div>`,
  );
  el.querySelectorAll<HTMLButtonElement>('button[data-act]').forEach((b) =>
    b.addEventListener('click', async () => {
      const act = b.dataset.act as 'ack' | 'resolve';
      const note = act === 'resolve' ? prompt('Why is it resolved? (kept in the audit trail)') : null;
      if (act === 'resolve' && note === null) return;
      try {
        await post(`/v1/alerts/${encodeURIComponent(b.dataset.id ?? '')}/${act}`, note ? { note } : {});
        await alertsView(el);
      } catch (err) {
        const e = el.querySelector<HTMLElement>('#alert-error');
        if (e) {
          e.hidden = false;
          e.textContent = `${err instanceof Error ? err.message : String(err)}${/401|403/.test(String(err)) ? ' — set an API key with the engineer role (scheduler or mes to acknowledge)' : ''}`;
        }
      }
    }),
  );
}
