/** Data from the engine's /v1 API only. On localhost read-only views need no key; elsewhere the key is kept in localStorage. */
const KEY = 'pdm-api-key';

export function apiKey(): string | null {
  return localStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The problem+json detail (and hint) of a failed answer, as an ApiError naming the path. */
async function failure(path: string, res: Response): Promise<ApiError> {
  let detail = res.statusText;
  try {
    const p = (await res.json()) as { detail?: string; hint?: string };
    detail = [p.detail, p.hint].filter(Boolean).join(' — ') || detail;
  } catch {
    /* not problem+json */
  }
  return new ApiError(res.status, `${path}: ${res.status} ${detail}`);
}

/** The stored key's header, if one is stored. */
function auth(): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: auth() });
  if (!res.ok) throw await failure(path, res);
  return (await res.json()) as T;
}

export interface Forecast {
  equipment: string;
  status: 'ok' | 'insufficient_data';
  site: string | null;
  line: string | null;
  equipment_class: string | null;
  forecast_at: string;
  probability: number;
  rul_h: number;
  rul_lo_h: number;
  rul_hi_h: number;
  model_version: string;
  /** Anomaly model health index (1 healthy ... 0), null without one. */
  health: number | null;
  health_driver: string | null;
  running_batch: { batch_id: string; order_id: string; product: string; started: string } | null;
  planned_batches: {
    batch_id: string;
    order_id: string;
    product: string;
    start: string;
    end: string | null;
  }[];
  running_until: string | null;
  maintenance_window: { start: string; end: string } | null;
  no_window: { stop_at: string; interrupts: string | null; reason: string } | null;
  by_mode: Record<string, number>;
}

export interface Equipment {
  equipment: string;
  site: string | null;
  area: string | null;
  line: string | null;
  cell: string | null;
  equipment_class: string | null;
  last_reading: string | null;
}

/** POSTs JSON with the stored key (changes need one: the local read-only access covers reads only). */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth() },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(path, res);
  return (await res.json()) as T;
}

export interface Alert {
  id: string;
  state: 'open' | 'acknowledged' | 'resolved' | 'suppressed';
  equipment: string;
  line: string;
  cause: string;
  tier: string;
  top_tier: string;
  group_id: string;
  opened_at: string;
  changed_at: string;
  last_change: string;
  suppressed_until: string | null;
  value: number | null;
  reason: string;
  model_version: string | null;
  mes: { order_id: string | null; batch_id: string | null; product: string | null };
  by: string;
  note: string | null;
}
