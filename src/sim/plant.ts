/**
 * The simulated plant: equipment classes with their sensors, failure modes, recipes and quality
 * characteristics, and a deterministic ISA-95 layout (site > area > line > cell > equipment).
 */
import { TELEMETRY_SENSORS } from '../store/telemetry.ts';
import { Rng } from './rng.ts';

/** Telemetry columns, in the order readings are passed around (sql/migrations/0001). */
export const SENSORS = TELEMETRY_SENSORS;
export type Sensor = (typeof SENSORS)[number];
export const S = Object.fromEntries(SENSORS.map((s, i) => [s, i])) as Record<Sensor, number>;

export const MODES = ['bearing', 'thermal', 'tool_wear', 'seal_wear'] as const;
export type FailureMode = (typeof MODES)[number];
export const M = { bearing: 0, thermal: 1, tool_wear: 2, seal_wear: 3 } as const;

export interface Recipe {
  readonly product: string;
  readonly recipe: string;
  /** Fraction of rated load (drives wear and temperatures). */
  readonly load: number;
  /** Fraction of rated speed. */
  readonly speed: number;
  /** Process temperature set-point offset in °C (adds to motor temperature). */
  readonly tempSetpoint: number;
}

export interface QualitySpec {
  readonly characteristic: string;
  readonly nominal: number;
  readonly lsl: number;
  readonly usl: number;
  /** Mean shift at wear 1 (signed): mean = nominal + drift * wear^1.5. */
  readonly drift: number;
  readonly noise: number;
  /** The wear process that moves this characteristic. */
  readonly mode: FailureMode;
}

export interface EquipmentClass {
  readonly name: string;
  readonly sensors: readonly Sensor[];
  readonly modes: readonly FailureMode[];
  /** Running hours at full load until each wear process reaches its failure threshold. */
  readonly lifeHours: Partial<Record<FailureMode, number>>;
  readonly sampleSeconds: number;
  /**
   * Short high-rate vibration snapshots (an acceleration waveform), as condition monitoring takes:
   * `seconds` at `hz` every `everySeconds`, with the shaft tone at `shaftHz`.
   */
  readonly burst?: {
    readonly hz: number;
    readonly seconds: number;
    readonly everySeconds: number;
    readonly shaftHz: number;
  };
  readonly pmDays: number;
  readonly rated: {
    vib: number;
    current: number;
    pressure: number;
    flow: number;
    speed: number;
    torque: number;
  };
  readonly recipes: readonly Recipe[];
  readonly quality?: QualitySpec;
}

export const CLASSES: readonly EquipmentClass[] = [
  {
    name: 'cnc_spindle',
    sensors: [
      'vibration_rms',
      'vibration_kurtosis',
      'bearing_temp',
      'motor_temp',
      'current',
      'speed',
      'torque',
    ],
    modes: ['bearing', 'thermal', 'tool_wear'],
    lifeHours: { bearing: 260, thermal: 300, tool_wear: 90 },
    sampleSeconds: 1,
    burst: { hz: 100, seconds: 1, everySeconds: 3600, shaftHz: 12 },
    pmDays: 7,
    rated: { vib: 2.2, current: 38, pressure: 0, flow: 0, speed: 12000, torque: 45 },
    recipes: [
      { product: 'shaft-A', recipe: 'finish-fine', load: 0.65, speed: 0.9, tempSetpoint: 0 },
      { product: 'shaft-B', recipe: 'rough-heavy', load: 0.95, speed: 0.6, tempSetpoint: 5 },
      { product: 'flange-C', recipe: 'mixed', load: 0.8, speed: 0.75, tempSetpoint: 2 },
    ],
    quality: {
      characteristic: 'diameter_mm',
      nominal: 25,
      lsl: 24.95,
      usl: 25.05,
      drift: 0.065,
      noise: 0.006,
      mode: 'tool_wear',
    },
  },
  {
    name: 'pump',
    sensors: [
      'vibration_rms',
      'vibration_kurtosis',
      'bearing_temp',
      'motor_temp',
      'current',
      'pressure',
      'flow',
    ],
    modes: ['bearing', 'seal_wear', 'thermal'],
    lifeHours: { bearing: 300, seal_wear: 200, thermal: 400 },
    sampleSeconds: 1,
    burst: { hz: 100, seconds: 1, everySeconds: 3600, shaftHz: 8 },
    pmDays: 10,
    rated: { vib: 3.1, current: 22, pressure: 6.5, flow: 48, speed: 2950, torque: 0 },
    recipes: [
      { product: 'coolant', recipe: 'low-flow', load: 0.55, speed: 1, tempSetpoint: 0 },
      { product: 'slurry', recipe: 'high-flow', load: 0.95, speed: 1, tempSetpoint: 4 },
    ],
  },
  {
    name: 'compressor',
    sensors: ['vibration_rms', 'vibration_kurtosis', 'bearing_temp', 'motor_temp', 'current', 'pressure'],
    modes: ['bearing', 'thermal'],
    lifeHours: { bearing: 280, thermal: 220 },
    sampleSeconds: 1,
    burst: { hz: 100, seconds: 1, everySeconds: 3600, shaftHz: 5 },
    pmDays: 9,
    rated: { vib: 4.0, current: 55, pressure: 8, flow: 0, speed: 0, torque: 0 },
    recipes: [
      { product: 'air-6bar', recipe: 'base-load', load: 0.7, speed: 1, tempSetpoint: 0 },
      { product: 'air-8bar', recipe: 'peak-load', load: 1, speed: 1, tempSetpoint: 6 },
    ],
  },
  {
    name: 'filler',
    sensors: ['vibration_rms', 'motor_temp', 'current', 'pressure', 'flow', 'speed', 'torque'],
    modes: ['seal_wear', 'bearing'],
    lifeHours: { seal_wear: 140, bearing: 350 },
    sampleSeconds: 1,
    pmDays: 8,
    rated: { vib: 1.6, current: 12, pressure: 3.2, flow: 9, speed: 120, torque: 18 },
    recipes: [
      { product: 'bottle-500', recipe: 'std-500', load: 0.7, speed: 0.85, tempSetpoint: 0 },
      { product: 'bottle-1000', recipe: 'std-1000', load: 0.9, speed: 0.7, tempSetpoint: 0 },
    ],
    quality: {
      characteristic: 'fill_ml',
      nominal: 500,
      lsl: 495,
      usl: 505,
      drift: -6.5,
      noise: 0.8,
      mode: 'seal_wear',
    },
  },
];

export interface EquipmentSpec {
  readonly id: string;
  readonly index: number;
  readonly cls: EquipmentClass;
  readonly site: string;
  readonly area: string;
  readonly line: string;
  readonly cell: string;
  /** Per-equipment spread of wear rates (log-normal, median 1): no two machines age alike. */
  readonly wearFactor: Readonly<Record<FailureMode, number>>;
  readonly sampleSeconds: number;
  /** Day offset of its preventive-maintenance calendar, so PMs do not all fall on one day. */
  readonly pmOffsetDays: number;
}

const AREA_OF: Record<string, string> = {
  cnc_spindle: 'machining',
  pump: 'utilities',
  compressor: 'utilities',
  filler: 'packaging',
};

/** Equipment per line in the layout. */
const LINE_SIZE = 4;

export interface PlantOptions {
  readonly equipment: number;
  readonly seed: number;
  /** Overrides every class's sample interval. */
  readonly sampleSeconds?: number;
}

/** A deterministic plant of `equipment` machines, classes in rotation, grouped into lines. */
export function buildPlant(options: PlantOptions): EquipmentSpec[] {
  const rng = new Rng(options.seed, 'plant');
  const byClass = new Map<string, number>();
  const specs: EquipmentSpec[] = [];
  for (let i = 0; i < options.equipment; i++) {
    const cls = CLASSES[i % CLASSES.length] as EquipmentClass;
    const n = (byClass.get(cls.name) ?? 0) + 1;
    byClass.set(cls.name, n);
    const area = AREA_OF[cls.name] as string;
    const lineNo = Math.floor((n - 1) / LINE_SIZE) + 1;
    const prefix = cls.name === 'cnc_spindle' ? 'cnc' : cls.name.slice(0, 4);
    const line = `${area}-L${lineNo}`;
    specs.push({
      id: `${prefix}-${String(n).padStart(3, '0')}`,
      index: i,
      cls,
      site: 'plant-1',
      area,
      line,
      cell: `${line}-C${((n - 1) % LINE_SIZE) + 1}`,
      wearFactor: {
        bearing: rng.lognormal(0.3),
        thermal: rng.lognormal(0.3),
        tool_wear: rng.lognormal(0.25),
        seal_wear: rng.lognormal(0.3),
      },
      sampleSeconds: options.sampleSeconds ?? cls.sampleSeconds,
      pmOffsetDays: rng.int(0, cls.pmDays - 1),
    });
  }
  return specs;
}
