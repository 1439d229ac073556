/**
 * A small hash router over six views; each view renders into a fresh `main#view` from /v1 data.
 *
 * Views refresh by themselves (every `refreshSeconds()`, default 60 s, and when the page comes back
 * into view) so a page left open on a wall screen does not freeze: the refresh renders beside the
 * shown view, hidden, and swaps it in when done, so nothing flickers; a refresh that fails keeps
 * the shown view and says so in the status line. A view's own state (filters, sort, picks) lives
 * in the URL's hash so that a refresh keeps it.
 */
import { html, setHtml } from './html.ts';
import { apiKey, setApiKey } from './api.ts';
import { disposeCharts } from './charts.ts';
import { alertsView } from './views/alerts.ts';
import { equipmentView } from './views/equipment.ts';
import { fleetView } from './views/fleet.ts';
import { modelsView } from './views/models.ts';
import { reliabilityView } from './views/reliability.ts';
import { scheduleView } from './views/schedule.ts';

const status = document.getElementById('status') as HTMLElement;

type View = (el: HTMLElement, arg?: string) => Promise<void>;
const VIEWS: Record<string, View> = {
  fleet: fleetView,
  equipment: equipmentView,
  schedule: scheduleView,
  reliability: reliabilityView,
  models: modelsView,
  alerts: alertsView,
};

/** Seconds between refreshes: localStorage `pdm-refresh-seconds` (0 turns it off), default 60. */
function refreshSeconds(): number {
  const v = Number(localStorage.getItem('pdm-refresh-seconds') ?? '60');
  return Number.isFinite(v) && v >= 0 ? v : 60;
}

let shown = document.getElementById('view') as HTMLElement;
/** Bumped by every render: a render that a newer one overtook is dropped. */
let generation = 0;
let updatedAt = 0;

const clock = (t: number) => new Date(t).toISOString().slice(11, 16);

function statusLine(extra = ''): void {
  const every = refreshSeconds();
  status.textContent =
    `updated ${clock(updatedAt)} UTC` + (every > 0 ? ` · refreshes every ${every} s` : '') + extra;
}

async function route(refresh = false): Promise<void> {
  const gen = ++generation;
  const path = (location.hash.replace(/^#\/?/, '').split('?')[0] ?? '').split('/').map(decodeURIComponent);
  const name = path[0] || 'fleet';
  const arg = path[1];
  const view = VIEWS[name] ?? fleetView;
  const next = document.createElement('main');
  next.dataset.view = name;
  if (refresh && shown.dataset.state === 'ready' && shown.dataset.view === name) {
    // Rendered hidden beside the shown view (same width, so charts size right), swapped in when done.
    next.className = 'staging';
    next.dataset.state = 'refreshing';
    shown.after(next);
  } else {
    refresh = false;
    document.querySelectorAll<HTMLAnchorElement>('header nav a').forEach((a) => {
      a.classList.toggle('active', a.dataset.view === name);
    });
    next.id = 'view';
    next.dataset.state = 'loading';
    setHtml(next, html`<p class="muted">Loading…</p>`);
    disposeCharts(shown);
    shown.replaceWith(next);
    shown = next;
    status.textContent = '';
  }
  // A rendering that a newer one overtook is dropped (unless it is already the one shown).
  const overtaken = () => {
    if (gen === generation) return false;
    if (next !== shown) {
      disposeCharts(next);
      next.remove();
    }
    return true;
  };
  try {
    await view(next, arg);
    if (overtaken()) return;
    if (refresh) {
      disposeCharts(shown);
      next.classList.remove('staging');
      next.id = 'view';
      shown.replaceWith(next);
      shown = next;
    }
    next.dataset.state = 'ready';
    updatedAt = Date.now();
    statusLine();
  } catch (err) {
    if (overtaken()) return;
    const msg = err instanceof Error ? err.message : String(err);
    if (refresh) {
      // The shown view stays; the status line says the refresh failed and why.
      disposeCharts(next);
      next.remove();
      statusLine(` · refresh failed at ${clock(Date.now())}: ${msg}`);
      return;
    }
    disposeCharts(next);
    next.dataset.state = 'error';
    // The message is text (it may quote what the server was asked); a way back is always offered.
    setHtml(
      next,
      html`<div class="error"></div>
        <p><a href="#/fleet" id="back-to-fleet">← back to the fleet</a></p>`,
    );
    (next.firstElementChild as HTMLElement).textContent = /: 401/.test(msg)
      ? `${msg}. Set an API key (button at the top right) to use the dashboard from another machine.`
      : msg;
  }
}

/** When someone last used the page (a key, a click, typing): a refresh waits 10 s after that. */
let usedAt = 0;
for (const e of ['pointerdown', 'keydown', 'input'])
  document.addEventListener(e, () => (usedAt = Date.now()), { capture: true, passive: true });

/** Refreshes unless the page is hidden or someone is using it (or has typed into a field of it). */
function refreshNow(evenIfUsed = false): void {
  if (document.hidden || (!evenIfUsed && Date.now() - usedAt < 10_000)) return;
  const active = document.activeElement;
  if (
    (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) &&
    shown.contains(active) &&
    active.value !== ''
  )
    return;
  if (shown.dataset.state === 'loading' || document.querySelector('main.staging')) return;
  void route(true);
}

let timer: ReturnType<typeof setInterval> | undefined;
function schedule(): void {
  if (timer !== undefined) clearInterval(timer);
  const every = refreshSeconds();
  timer = every > 0 ? setInterval(() => refreshNow(), every * 1000) : undefined;
}

document.getElementById('key-button')?.addEventListener('click', () => {
  const key = prompt('API key (pdm keys create --role engineer); empty to clear', apiKey() ?? '');
  if (key !== null) {
    setApiKey(key.trim() || null);
    void route();
  }
});
window.addEventListener('hashchange', () => {
  schedule();
  void route();
});
// Back on the page after a while (another tab, a locked screen): show what is current now.
const stale = () => refreshSeconds() > 0 && Date.now() - updatedAt > Math.min(10, refreshSeconds()) * 1000;
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && stale()) refreshNow(true);
});
window.addEventListener('focus', () => {
  if (stale()) refreshNow(true);
});
schedule();
void route();
