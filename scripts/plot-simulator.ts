/**
 * Draws docs/img/simulator.svg: a few simulated machines through degradation, failure and repair
 * (and preventive maintenance), from the simulator itself (no database). Plain SVG, no libraries.
 *
 *   node --import tsx scripts/plot-simulator.ts
 */
import { writeFileSync } from 'node:fs';
import { MemorySink, simulate } from '../src/sim/index.ts';
import { S } from '../src/sim/plant.ts';

const START = Date.UTC(2025, 0, 6) / 1000;
const DAYS = 30;
const sink = new MemorySink();
await simulate(sink, { equipment: 12, days: DAYS, seed: 3, start: START, sampleSeconds: 60 });

const W = 900;
const PH = 150; // panel height
const ML = 60;
const MR = 20;
const t0 = START * 1e6;
const t1 = (START + DAYS * 86400) * 1e6;
const xOf = (t: number) => ML + ((t - t0) / (t1 - t0)) * (W - ML - MR);

interface Line {
  label: string;
  color: string;
  points: [number, number][];
}

/** Hourly means of one sensor (running and idle), enough to see trends in a small file. */
function hourly(equipment: string, sensor: number): [number, number][] {
  const s = sink.series.get(equipment)!;
  const buckets = new Map<number, [number, number]>();
  s.ts.forEach((t, i) => {
    const v = s.values[i]![sensor]!;
    if (v !== v) return;
    const h = Math.floor(t / 3600e6);
    const b = buckets.get(h) ?? [0, 0];
    b[0] += v;
    b[1]++;
    buckets.set(h, b);
  });
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([h, [sum, n]]) => [h * 3600e6, sum / n]);
}

function panel(y0: number, title: string, lines: Line[], equipment: string, unit: string): string {
  const all = lines.flatMap((l) => l.points.map((p) => p[1]));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const yOf = (v: number) => y0 + PH - 20 - ((v - lo) / (hi - lo || 1)) * (PH - 40);
  const parts = [`<text x="${ML}" y="${y0 + 14}" font-size="13" font-weight="bold">${title}</text>`];
  parts.push(`<line x1="${ML}" y1="${y0 + PH - 20}" x2="${W - MR}" y2="${y0 + PH - 20}" stroke="#999"/>`);
  parts.push(
    `<text x="${ML - 6}" y="${yOf(hi) + 4}" font-size="10" text-anchor="end">${hi.toFixed(2)}</text>`,
  );
  parts.push(
    `<text x="${ML - 6}" y="${yOf(lo) + 4}" font-size="10" text-anchor="end">${lo.toFixed(2)}</text>`,
  );
  parts.push(
    `<text x="12" y="${y0 + PH / 2}" font-size="10" transform="rotate(-90 12 ${y0 + PH / 2})">${unit}</text>`,
  );
  for (const m of sink.log.maintenance.filter((m) => m.equipment === equipment)) {
    const color = m.kind === 'failure' ? '#d62728' : m.kind === 'preventive' ? '#2ca02c' : null;
    if (color === null) continue;
    parts.push(
      `<rect x="${xOf(m.ts)}" y="${y0 + 20}" width="${Math.max(1.5, xOf(m.endedAt) - xOf(m.ts))}" height="${PH - 40}" fill="${color}" opacity="0.25"/>`,
    );
    if (m.kind === 'failure')
      parts.push(`<text x="${xOf(m.ts) + 2}" y="${y0 + 30}" font-size="10" fill="#d62728">${m.mode}</text>`);
  }
  lines.forEach((l, i) => {
    const d = l.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${xOf(p[0]).toFixed(1)},${yOf(p[1]).toFixed(1)}`)
      .join('');
    parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.2"/>`);
    parts.push(
      `<text x="${W - MR - 150}" y="${y0 + 28 + i * 12}" font-size="11" fill="${l.color}">${l.label}</text>`,
    );
  });
  return parts.join('\n');
}

const bearingEq = sink.log.failures.find((f) => f.mode === 'bearing')!.equipment;
const thermalEq = sink.log.failures.find((f) => f.mode === 'thermal')?.equipment ?? bearingEq;
const cnc = sink.specs.find((s) => s.cls.name === 'cnc_spindle')!.id;
const health = (eq: string): [number, number][] =>
  sink.log.health.filter((h) => h.equipment === eq).map((h) => [h.ts, h.health]);
const scale = (pts: [number, number][], k: number): [number, number][] => pts.map(([t, v]) => [t, v * k]);

const quality = sink.log.quality.filter((q) => q.equipment === cnc);
const panels = [
  panel(
    0,
    `${bearingEq}: bearing wear - vibration RMS rises, accelerating, until failure; repair resets it`,
    [
      { label: 'vibration RMS (mm/s)', color: '#1f77b4', points: hourly(bearingEq, S.vibration_rms) },
      { label: 'hidden health x 10', color: '#7f7f7f', points: scale(health(bearingEq), 10) },
    ],
    bearingEq,
    'mm/s',
  ),
  panel(
    PH,
    `${bearingEq}: vibration kurtosis (impulsiveness) grows with bearing damage cubed`,
    [{ label: 'kurtosis', color: '#9467bd', points: hourly(bearingEq, S.vibration_kurtosis) }],
    bearingEq,
    '-',
  ),
  panel(
    2 * PH,
    `${thermalEq}: lubrication/thermal - motor temperature drifts up under load`,
    [
      { label: 'motor temp (°C)', color: '#ff7f0e', points: hourly(thermalEq, S.motor_temp) },
      { label: 'bearing temp (°C)', color: '#8c564b', points: hourly(thermalEq, S.bearing_temp) },
    ],
    thermalEq,
    '°C',
  ),
  panel(
    3 * PH,
    `${cnc}: tool wear moves the diameter per batch toward its USL; PM changes the tool`,
    [
      { label: 'diameter per batch (mm)', color: '#17becf', points: quality.map((q) => [q.ts, q.value]) },
      {
        label: 'USL 25.05',
        color: '#d62728',
        points: [
          [t0, 25.05],
          [t1, 25.05],
        ],
      },
    ],
    cnc,
    'mm',
  ),
];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${4 * PH + 30}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panels.join('\n')}
<text x="${ML}" y="${4 * PH + 20}" font-size="11">30 simulated days (seed 3, 60 s samples, hourly means). Red bands: failure and repair downtime; green: preventive maintenance.</text>
</svg>`;
writeFileSync('docs/img/simulator.svg', svg);
console.log(
  `wrote docs/img/simulator.svg (${(svg.length / 1024).toFixed(0)} KiB): ${bearingEq}, ${thermalEq}, ${cnc}`,
);
