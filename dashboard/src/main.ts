/** A small hash router over six views; each view renders into #view from /v1 data. */
import { html, setHtml } from './html.ts';
import { apiKey, setApiKey } from './api.ts';
import { disposeAll } from './charts.ts';
import { alertsView } from './views/alerts.ts';
import { equipmentView } from './views/equipment.ts';
import { fleetView } from './views/fleet.ts';
import { modelsView } from './views/models.ts';
import { reliabilityView } from './views/reliability.ts';
import { scheduleView } from './views/schedule.ts';

const root = document.getElementById('view') as HTMLElement;
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

async function route(): Promise<void> {
  const path = (location.hash.replace(/^#\/?/, '').split('?')[0] ?? '').split('/').map(decodeURIComponent);
  const name = path[0] || 'fleet';
  const arg = path[1];
  const view = VIEWS[name] ?? fleetView;
  document.querySelectorAll<HTMLAnchorElement>('header nav a').forEach((a) => {
    a.classList.toggle('active', a.dataset.view === name);
  });
  disposeAll();
  setHtml(root, html`<p class="muted">Loading…</p>`);
  root.dataset.view = name;
  root.dataset.state = 'loading';
  status.textContent = '';
  try {
    await view(root, arg);
    root.dataset.state = 'ready';
    status.textContent = `updated ${new Date().toISOString().slice(11, 16)} UTC`;
  } catch (err) {
    root.dataset.state = 'error';
    const msg = err instanceof Error ? err.message : String(err);
    // The message is text (it may quote what the server was asked); a way back is always offered.
    setHtml(
      root,
      html`<div class="error"></div>
        <p><a href="#/fleet" id="back-to-fleet">← back to the fleet</a></p>`,
    );
    (root.firstElementChild as HTMLElement).textContent = /: 401/.test(msg)
      ? `${msg}. Set an API key (button at the top right) to use the dashboard from another machine.`
      : msg;
  }
}

document.getElementById('key-button')?.addEventListener('click', () => {
  const key = prompt('API key (pdm keys create --role engineer); empty to clear', apiKey() ?? '');
  if (key !== null) {
    setApiKey(key.trim() || null);
    void route();
  }
});
window.addEventListener('hashchange', () => void route());
void route();
