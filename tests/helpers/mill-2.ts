/**
 * Synthetic history for examples/plants/mill-2.yaml, made the way a plant's exports look: one CSV
 * per equipment class (its own sensor columns, readings every 5 minutes with gaps and missing
 * values), and a failure list from the CMMS (ISO 14224 codes) with the repairs after them. Each
 * machine wears towards a failure of one of its class's modes; the last part of each life shows
 * in that mode's sensor, so a failure model has something to find and a constant rule does not.
 * Test data only: the engine never sees this file, only what it writes.
 */
import { mulberry32 } from '../../models/rng.ts';
import type { Plant } from '../../src/plant/index.ts';

/** Per mode, the sensor its wear shows in and how far (at failure) it moves it. */
const SIGNS: Record<string, { sensor: string; shift: number }[]> = {
  spindle_bearing: [{ sensor: 'axis_vibration_x', shift: 9 }],
  coolant_loss: [{ sensor: 'coolant_temp', shift: 22 }],
  seal_leak: [
    { sensor: 'suction_pressure', shift: -1.6 },
    { sensor: 'motor_current', shift: -12 },
  ],
  impeller_wear: [{ sensor: 'discharge_pressure', shift: -7 }],
  tooth_break: [
    { sensor: 'gear_vibration', shift: 10 },
    { sensor: 'oil_temp', shift: 14 },
  ],
};
/** Normal operation: level and noise per sensor. */
const NORMAL: Record<string, [number, number]> = {
  spindle_load: [62, 9],
  coolant_temp: [24, 1.2],
  axis_vibration_x: [2.2, 0.35],
  suction_pressure: [2.1, 0.12],
  discharge_pressure: [14, 0.6],
  motor_current: [48, 2.5],
  oil_temp: [55, 2],
  gear_vibration: [3, 0.4],
};

export interface Mill2History {
  /** CSV text per class: `ts,equipment,<its sensors>`. */
  readonly csv: Record<string, string>;
  /** Failures and repairs as POST /v1/maintenance takes them (modes by ISO 14224 code). */
  readonly maintenance: {
    ts: string;
    equipment: string;
    kind: 'failure' | 'repair';
    mode?: string;
    end?: string;
    work_order: string;
  }[];
  readonly failures: number;
  readonly readings: number;
}

/** `days` of history ending at `end` (ms) for every equipment of the plant file. */
export function mill2History(plant: Plant, end: number, days: number, seed = 7): Mill2History {
  const next = mulberry32(seed);
  const normal = () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  const step = 300e3;
  const start = end - days * 86_400e3;
  const rows: Record<string, string[]> = {};
  const maintenance: Mill2History['maintenance'] = [];
  let readings = 0;
  let failures = 0;
  for (const e of plant.equipment) {
    const cls = plant.classes[e.class]!;
    const sensors = cls.sensors.map((s) => s.name);
    const lines = (rows[e.class] ??= [`ts,equipment,${sensors.join(',')}`]);
    // Lives of 3 to 7 days (Weibull-like), each ending in one of the class's modes.
    const life = () => 86_400e3 * (3 + 4 * Math.pow(next(), 0.7));
    let born = start - next() * 2 * 86_400e3;
    let dies = born + life();
    let mode = cls.failure_modes[Math.floor(next() * cls.failure_modes.length)]!;
    for (let t = start; t < end; t += step) {
      if (t >= dies) {
        failures++;
        const repair = 2 * 3600e3 + next() * 6 * 3600e3;
        const wo = `WO-${e.id}-${maintenance.length}`;
        maintenance.push({
          ts: new Date(dies).toISOString(),
          equipment: e.id,
          kind: 'failure',
          mode: mode.code,
          work_order: wo,
        });
        maintenance.push({
          ts: new Date(dies).toISOString(),
          equipment: e.id,
          kind: 'repair',
          end: new Date(dies + repair).toISOString(),
          work_order: wo,
        });
        born = dies + repair;
        dies = born + life();
        mode = cls.failure_modes[Math.floor(next() * cls.failure_modes.length)]!;
      }
      if (t < born) continue; // down for repair: no readings
      if (next() < 0.01) continue; // a lost sample now and then
      // Wear shows over the last 40 % of a life, growing to the full shift at failure.
      const h = Math.max(0, ((t - born) / (dies - born) - 0.6) / 0.4);
      const values = sensors.map((s) => {
        if (next() < 0.02) return ''; // a missing value
        const [level, noise] = NORMAL[s]!;
        const drift = (SIGNS[mode.name] ?? []).find((x) => x.sensor === s)?.shift ?? 0;
        return (level + noise * normal() + drift * h * h).toFixed(3);
      });
      lines.push(`${new Date(t).toISOString()},${e.id},${values.join(',')}`);
      readings++;
    }
  }
  return {
    csv: Object.fromEntries(Object.entries(rows).map(([c, l]) => [c, `${l.join('\n')}\n`])),
    maintenance,
    failures,
    readings,
  };
}
