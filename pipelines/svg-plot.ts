/**
 * Small static SVG charts for the markdown reports (ROC, calibration, lead-time histogram): no
 * browser, no dependency, readable on GitHub and in any viewer.
 */
export interface Series {
  readonly points: readonly (readonly [number, number])[];
  readonly colour: string;
  readonly dashed?: boolean;
  /** Draw markers instead of a line. */
  readonly markers?: boolean;
}

const W = 360;
const H = 300;
const M = { l: 48, r: 12, t: 28, b: 40 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function frame(
  title: string,
  xLabel: string,
  yLabel: string,
  xMax: number,
  yMax: number,
  body: string,
): string {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks
    .map((f) => {
      const x = M.l + f * pw;
      const y = M.t + ph - f * ph;
      return (
        `<line x1="${x}" y1="${M.t}" x2="${x}" y2="${M.t + ph}" stroke="#eee"/>` +
        `<line x1="${M.l}" y1="${y}" x2="${M.l + pw}" y2="${y}" stroke="#eee"/>` +
        `<text x="${x}" y="${M.t + ph + 14}" font-size="10" text-anchor="middle">${+(f * xMax).toFixed(2)}</text>` +
        `<text x="${M.l - 4}" y="${y + 3}" font-size="10" text-anchor="end">${+(f * yMax).toFixed(2)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>${grid}` +
    `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>` +
    `<text x="${W / 2}" y="16" font-size="12" text-anchor="middle" font-weight="bold">${esc(title)}</text>` +
    `<text x="${M.l + pw / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="12" y="${M.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${M.t + ph / 2})">${esc(yLabel)}</text>` +
    `${body}</svg>\n`
  );
}

/** Lines or markers on [0, xMax] x [0, yMax]. */
export function plotSeries(
  title: string,
  xLabel: string,
  yLabel: string,
  series: readonly Series[],
  xMax = 1,
  yMax = 1,
): string {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const sx = (x: number) => M.l + (Math.min(x, xMax) / xMax) * pw;
  const sy = (y: number) => M.t + ph - (Math.min(y, yMax) / yMax) * ph;
  const body = series
    .map((s) =>
      s.markers
        ? s.points
            .map(
              ([x, y]) =>
                `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.colour}"/>`,
            )
            .join('')
        : `<polyline fill="none" stroke="${s.colour}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${s.points
            .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
            .join(' ')}"/>`,
    )
    .join('');
  return frame(title, xLabel, yLabel, xMax, yMax, body);
}

/** A histogram of `values` in `bins` equal bins over [0, xMax]. */
export function plotHistogram(
  title: string,
  xLabel: string,
  values: readonly number[],
  xMax: number,
  bins = 12,
): string {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v / xMax) * bins)))]!++;
  const yMax = Math.max(1, ...counts);
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const bw = pw / bins;
  const body = counts
    .map((c, i) => {
      const h = (c / yMax) * ph;
      return `<rect x="${(M.l + i * bw + 1).toFixed(1)}" y="${(M.t + ph - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#4f7fd9"/>`;
    })
    .join('');
  return frame(title, xLabel, 'count', xMax, yMax, body);
}
