/**
 * Markup with every interpolated value escaped: MES and user strings (batch ids, products,
 * equipment and line names, notes) become text, never markup or script. A value is inserted as
 * markup only when it is itself an `html` template (or a list of them); everything else, numbers
 * included, is escaped. `setHtml` is the one place the dashboard writes innerHTML (the linter
 * refuses it elsewhere), and it takes only `Html`. Together with the server's strict
 * Content-Security-Policy, a stored `<img src=x onerror=...>` renders as text.
 */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

function part(v: unknown): string {
  if (v instanceof Html) return v.markup;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + (strings[i + 1] as string);
  return new Html(out);
}

/** The list's markup, or the fallback when it is empty. */
export const orElse = (list: readonly Html[], fallback: Html): Html | readonly Html[] =>
  list.length > 0 ? list : fallback;

export function setHtml(el: Element, h: Html): void {
  // eslint-disable-next-line no-restricted-syntax -- the one escaped sink (see the module comment)
  el.innerHTML = h.markup;
}
