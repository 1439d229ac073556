/**
 * One simulated machine: its wear processes, sensors, MES batch queue and maintenance, stepped
 * in sample-interval increments. The physics, in short (docs/simulator.md has the paragraphs):
 *
 * - bearing: damage grows with load² and with itself (dw ∝ L²(1 + 4w)): spalls accelerate; random
 *   shocks add steps. Vibration RMS rises with w², kurtosis (impulsiveness) with w³.
 * - thermal/lubrication: lubricant degrades with load and with temperature above 60 °C; poor
 *   lubrication heats the motor (w²), which degrades it faster: a slow runaway under load.
 * - tool / seal wear: grows with cutting (or pumping) time x load; moves a quality characteristic
 *   toward its spec limit (w^1.5) and, for seals, lowers pressure and flow.
 *
 * A machine fails when any damage reaches 1 (the hidden health index, 1 - max damage, reaches 0).
 */
import type { EquipmentSpec, FailureMode, Recipe } from './plant.ts';
import { M, MODES, S, SENSORS } from './plant.ts';
import type { EventLog } from './events.ts';
import { ReadingBuffer } from './readings.ts';
import { Rng } from './rng.ts';
import type { RngState } from './rng.ts';

const HOUR = 3600;
const DAY = 86_400;
const PLAN_AHEAD_S = 48 * HOUR;
const HEALTH_EVERY_S = 600;
const AMBIENT = 24;
const us = (t: number) => Math.round(t * 1e6);

interface QueuedBatch {
  batchId: string;
  orderId: string;
  recipe: Recipe;
  durationS: number;
  /** Planned start in epoch seconds; re-planned when the machine is late. */
  plannedStart: number;
}

type State = 'idle' | 'running' | 'down' | 'pm';
const STATES: readonly State[] = ['idle', 'running', 'down', 'pm'];
/** The numbers of a `MachineState` that are single values. */
const SCALARS = [
  't',
  'stateUntil',
  'currentStart',
  'planEnd',
  'nextPm',
  'nextHealth',
  'nextBurst',
  'motorTemp',
  'bearingTemp',
  'batchSeq',
  'orderSeq',
  'woSeq',
] as const;

/** A queued or running batch in a `MachineState`: its recipe by index in the class's recipes. */
export interface BatchState {
  readonly batchId: string;
  readonly orderId: string;
  readonly recipe: number;
  readonly durationS: number;
  readonly plannedStart: number;
}

/**
 * Everything a machine carries from one step to the next, as plain data (numbers may be NaN or
 * infinite): restored into a machine of the same spec and seed, the same readings and events follow
 * as from the machine it was read from.
 */
export interface MachineState {
  readonly id: string;
  readonly t: number;
  readonly rng: RngState;
  readonly noise: RngState;
  readonly artifacts: RngState;
  readonly wear: number[];
  readonly dropoutUntil: number[];
  readonly late: { due: number; ts: number; row: number[] }[];
  readonly state: State;
  readonly stateUntil: number;
  readonly current: BatchState | null;
  readonly currentStart: number;
  readonly queue: BatchState[];
  readonly planEnd: number;
  readonly nextPm: number;
  readonly nextHealth: number;
  readonly nextBurst: number;
  readonly motorTemp: number;
  readonly bearingTemp: number;
  readonly batchSeq: number;
  readonly orderSeq: number;
  readonly woSeq: number;
  readonly counters: MachineCounters;
}

/** Counters the run reports (and tests check against QuestDB). */
export interface MachineCounters {
  readings: number;
  duplicates: number;
  late: number;
  failures: Record<FailureMode, number>;
  preventive: number;
  batchesDone: number;
  batchesAborted: number;
  orders: number;
  quality: number;
  burstSamples: number;
}

export function newCounters(): MachineCounters {
  return {
    readings: 0,
    duplicates: 0,
    late: 0,
    failures: { bearing: 0, thermal: 0, tool_wear: 0, seal_wear: 0 },
    preventive: 0,
    batchesDone: 0,
    batchesAborted: 0,
    orders: 0,
    quality: 0,
    burstSamples: 0,
  };
}

export class Machine {
  readonly wear = new Float64Array(MODES.length);
  readonly out = new ReadingBuffer();
  readonly counters: MachineCounters = newCounters();
  private readonly rng: Rng;
  private readonly noise: Rng;
  private readonly artifacts: Rng;
  private readonly row = new Float64Array(SENSORS.length);
  private readonly has = new Uint8Array(SENSORS.length);
  private readonly dropoutUntil = new Float64Array(SENSORS.length);
  private readonly lifeS = new Float64Array(MODES.length);
  private readonly late: { due: number; ts: number; row: Float64Array }[] = [];
  private t: number;
  private state: State = 'idle';
  private stateUntil: number;
  private current: QueuedBatch | undefined;
  private currentStart = 0;
  private readonly queue: QueuedBatch[] = [];
  private planEnd: number;
  private nextPm: number;
  private nextHealth: number;
  private nextBurst: number;
  private motorTemp = AMBIENT;
  private bearingTemp = AMBIENT;
  private batchSeq = 0;
  private orderSeq = 0;
  private woSeq = 0;

  constructor(
    readonly spec: EquipmentSpec,
    seed: number,
    start: number,
  ) {
    this.rng = new Rng(seed, `machine:${spec.id}`);
    this.noise = new Rng(seed, `noise:${spec.id}`);
    this.artifacts = new Rng(seed, `artifacts:${spec.id}`);
    for (const s of spec.cls.sensors) this.has[S[s]] = 1;
    for (const m of MODES) {
      const life = spec.cls.lifeHours[m];
      this.lifeS[M[m]] = life === undefined ? Infinity : (life * HOUR) / spec.wearFactor[m];
    }
    // Machines start part-worn, as a plant is never new on day one.
    for (const m of spec.cls.modes) this.wear[M[m]] = this.rng.uniform(0, 0.9);
    this.t = start;
    this.stateUntil = start;
    this.planEnd = start;
    this.nextHealth = start;
    // Bursts at a fixed minute of each hour, staggered per machine.
    this.nextBurst = start + ((spec.index * 97) % (spec.cls.burst?.everySeconds ?? 3600));
    this.nextPm = Math.floor(start / DAY) * DAY + (spec.pmOffsetDays + 1) * DAY + 6 * HOUR;
    this.motorTemp = this.bearingTemp = AMBIENT + 20;
  }

  get time(): number {
    return this.t;
  }

  /** The machine's state between steps (nothing may be waiting in `out`). */
  snapshot(): MachineState {
    if (this.out.n > 0) throw new Error(`machine ${this.spec.id}: readings not yet taken from out`);
    const batch = (b: QueuedBatch): BatchState => ({
      batchId: b.batchId,
      orderId: b.orderId,
      recipe: this.spec.cls.recipes.indexOf(b.recipe),
      durationS: b.durationS,
      plannedStart: b.plannedStart,
    });
    return {
      id: this.spec.id,
      t: this.t,
      rng: this.rng.state,
      noise: this.noise.state,
      artifacts: this.artifacts.state,
      wear: [...this.wear],
      dropoutUntil: [...this.dropoutUntil],
      late: this.late.map((l) => ({ due: l.due, ts: l.ts, row: [...l.row] })),
      state: this.state,
      stateUntil: this.stateUntil,
      current: this.current === undefined ? null : batch(this.current),
      currentStart: this.currentStart,
      queue: this.queue.map(batch),
      planEnd: this.planEnd,
      nextPm: this.nextPm,
      nextHealth: this.nextHealth,
      nextBurst: this.nextBurst,
      motorTemp: this.motorTemp,
      bearingTemp: this.bearingTemp,
      batchSeq: this.batchSeq,
      orderSeq: this.orderSeq,
      woSeq: this.woSeq,
      counters: structuredClone(this.counters),
    };
  }

  /**
   * Continues from a `snapshot()` of a machine of this spec (and seed: the caller's to check).
   * Throws, changing nothing, if the state cannot be this machine's.
   */
  restore(s: MachineState): void {
    const recipes = this.spec.cls.recipes;
    const batch = (b: BatchState): QueuedBatch => {
      const recipe = recipes[b.recipe];
      if (recipe === undefined) throw new Error(`machine ${this.spec.id}: no recipe ${b.recipe}`);
      return { ...b, recipe };
    };
    if (s.id !== this.spec.id) throw new Error(`a state of machine ${s.id}, not ${this.spec.id}`);
    if (!STATES.includes(s.state)) throw new Error(`machine ${s.id}: unknown state ${String(s.state)}`);
    const lengths: [string, unknown[], number][] = [
      ['wear', s.wear, this.wear.length],
      ['dropoutUntil', s.dropoutUntil, this.dropoutUntil.length],
      ...s.late.map((l, i): [string, unknown[], number] => [`late[${i}].row`, l.row, this.row.length]),
    ];
    for (const [what, a, n] of lengths)
      if (!Array.isArray(a) || a.length !== n)
        throw new Error(`machine ${s.id}: ${what} is not a list of ${n} values`);
    const numbers: [string, unknown][] = [
      ...SCALARS.map((k): [string, unknown] => [k, s[k]]),
      ...(['rng', 'noise', 'artifacts'] as const).flatMap((k) =>
        Array.isArray(s[k]) && s[k].length === 5
          ? s[k].map((v, i): [string, unknown] => [`${k}[${i}]`, v])
          : [[k, undefined] as [string, unknown]],
      ),
      ...s.wear.map((v, i): [string, unknown] => [`wear[${i}]`, v]),
    ];
    for (const [what, v] of numbers)
      if (typeof v !== 'number') throw new Error(`machine ${s.id}: ${what} is not a number`);
    const current = s.current === null ? undefined : batch(s.current);
    const queue = s.queue.map(batch);
    this.t = s.t;
    this.rng.state = s.rng;
    this.noise.state = s.noise;
    this.artifacts.state = s.artifacts;
    this.wear.set(s.wear);
    this.dropoutUntil.set(s.dropoutUntil);
    this.late.length = 0;
    for (const l of s.late) this.late.push({ due: l.due, ts: l.ts, row: Float64Array.from(l.row) });
    this.state = s.state;
    this.stateUntil = s.stateUntil;
    this.current = current;
    this.currentStart = s.currentStart;
    this.queue.length = 0;
    this.queue.push(...queue);
    this.planEnd = s.planEnd;
    this.nextPm = s.nextPm;
    this.nextHealth = s.nextHealth;
    this.nextBurst = s.nextBurst;
    this.motorTemp = s.motorTemp;
    this.bearingTemp = s.bearingTemp;
    this.batchSeq = s.batchSeq;
    this.orderSeq = s.orderSeq;
    this.woSeq = s.woSeq;
    Object.assign(this.counters, structuredClone(s.counters));
    this.out.clear();
  }

  /** 1 - max damage: the hidden health index the failures follow. */
  health(): number {
    let max = 0;
    for (let i = 0; i < this.wear.length; i++)
      if ((this.wear[i] as number) > max) max = this.wear[i] as number;
    return Math.max(0, 1 - max);
  }

  /** Simulates up to (not including) `until` (epoch s), appending readings to `out` and events to `log`. */
  advance(until: number, log: EventLog): void {
    const dt = this.spec.sampleSeconds;
    while (this.t < until) {
      const t = this.t;
      this.plan(t, log);
      this.transition(t, log);
      if (this.state === 'running' || this.state === 'idle') {
        const recipe = this.state === 'running' ? this.current?.recipe : undefined;
        this.degrade(dt, recipe);
        const failed = this.failedMode();
        if (failed !== undefined) this.fail(t, failed, log);
        else {
          this.sense(t, dt, recipe);
          if (t >= this.nextBurst) this.burst(t, recipe, log);
        }
      }
      if (t >= this.nextHealth) {
        log.health.push({
          ts: us(t),
          equipment: this.spec.id,
          health: this.health(),
          wear: this.wear.slice(),
        });
        this.nextHealth += HEALTH_EVERY_S;
      }
      this.releaseLate(t);
      this.t = t + dt;
    }
  }

  /** Keeps PLAN_AHEAD_S of batches queued: orders are released and their batches planned. */
  private plan(t: number, log: EventLog): void {
    if (this.planEnd >= t + PLAN_AHEAD_S) return;
    const cls = this.spec.cls;
    const recipe = this.rng.pick(cls.recipes);
    const orderId = `O-${this.spec.id}-${String(++this.orderSeq).padStart(4, '0')}`;
    const nBatches = this.rng.int(2, 4);
    const ts = us(t);
    let cursor = Math.max(this.planEnd, t);
    for (let i = 0; i < nBatches; i++) {
      const batch: QueuedBatch = {
        batchId: `B-${this.spec.id}-${String(++this.batchSeq).padStart(5, '0')}`,
        orderId,
        recipe,
        durationS: Math.round(this.rng.uniform(2, 6) * HOUR),
        plannedStart: cursor + Math.round(this.rng.uniform(0.25, 1) * HOUR),
      };
      cursor = batch.plannedStart + batch.durationS;
      this.queue.push(batch);
      log.batches.push(this.batchRow(batch, batch.plannedStart, 'planned', NaN));
    }
    this.planEnd = cursor;
    log.orders.push({
      ts,
      orderId,
      product: recipe.product,
      line: this.spec.line,
      quantity: nBatches * this.rng.int(200, 800),
      dueAt: us(cursor + DAY),
      status: 'released',
    });
    this.counters.orders++;
  }

  private transition(t: number, log: EventLog): void {
    if (t < this.stateUntil) return;
    switch (this.state) {
      case 'running':
        this.finishBatch(this.stateUntil, 'done', log);
        this.state = 'idle';
        break;
      case 'pm':
      case 'down':
        this.state = 'idle';
        this.replan(t, log);
        break;
      case 'idle':
        break;
    }
    // Preventive maintenance waits for the running batch to end, then takes two hours.
    if (t >= this.nextPm) {
      this.preventive(t, log);
      return;
    }
    const next = this.queue[0];
    if (next !== undefined && t >= next.plannedStart) {
      this.queue.shift();
      this.current = next;
      this.currentStart = t;
      this.state = 'running';
      this.stateUntil = t + next.durationS;
      if (t !== next.plannedStart) log.batches.push(this.batchRow(next, next.plannedStart, 'replanned', NaN));
      log.batches.push(this.batchRow(next, t, 'running', NaN));
    }
  }

  /** After downtime, batches whose planned start has passed move later, keeping their order. */
  private replan(t: number, log: EventLog): void {
    let cursor = t;
    for (const b of this.queue) {
      if (b.plannedStart >= cursor) break;
      log.batches.push(this.batchRow(b, b.plannedStart, 'replanned', NaN));
      b.plannedStart = cursor;
      log.batches.push(this.batchRow(b, b.plannedStart, 'planned', NaN));
      cursor = b.plannedStart + b.durationS + 15 * 60;
    }
    this.planEnd = Math.max(this.planEnd, cursor);
  }

  private finishBatch(end: number, status: 'done' | 'aborted', log: EventLog): void {
    const b = this.current;
    if (b === undefined) return;
    log.batches.push(this.batchRow(b, this.currentStart, status, end));
    this.current = undefined;
    if (status === 'aborted') {
      this.counters.batchesAborted++;
      return;
    }
    this.counters.batchesDone++;
    const q = this.spec.cls.quality;
    if (q === undefined) return;
    const w = this.wear[M[q.mode]] as number;
    const trueMean = q.nominal + q.drift * Math.pow(w, 1.5);
    const value = trueMean + q.noise * this.rng.normal();
    log.quality.push({
      ts: us(end),
      equipment: this.spec.id,
      batchId: b.batchId,
      characteristic: q.characteristic,
      value,
      lsl: q.lsl,
      usl: q.usl,
    });
    this.counters.quality++;
    // True running hours to the spec limit at this recipe's wear rate.
    const room = q.drift > 0 ? q.usl - q.nominal : q.nominal - q.lsl;
    const wLimit = Math.pow(room / Math.abs(q.drift), 1 / 1.5);
    const rate = this.wearRate(q.mode, w, b.recipe);
    const timeToLimitH = w >= wLimit ? 0 : rate > 0 ? (wLimit - w) / rate / HOUR : Infinity;
    log.qualityTruth.push({
      ts: us(end),
      equipment: this.spec.id,
      batchId: b.batchId,
      characteristic: q.characteristic,
      trueMean,
      timeToLimitH,
    });
  }

  private preventive(t: number, log: EventLog): void {
    const end = t + 2 * HOUR;
    log.maintenance.push({
      ts: us(t),
      equipment: this.spec.id,
      kind: 'preventive',
      mode: '',
      endedAt: us(end),
      workOrder: this.workOrder(),
    });
    // Imperfect: re-greasing slows a worn bearing only a little, new lubricant resets most thermal
    // damage, a new tool resets tool wear, seals are adjusted, not replaced.
    this.wear[M.bearing] = (this.wear[M.bearing] as number) * 0.8;
    this.wear[M.thermal] = (this.wear[M.thermal] as number) * 0.3;
    this.wear[M.tool_wear] = this.spec.cls.modes.includes('tool_wear') ? 0.02 : 0;
    this.wear[M.seal_wear] = (this.wear[M.seal_wear] as number) * 0.5;
    this.state = 'pm';
    this.stateUntil = end;
    this.counters.preventive++;
    const period = this.spec.cls.pmDays * DAY;
    while (this.nextPm <= t) this.nextPm += period;
  }

  private fail(t: number, mode: FailureMode, log: EventLog): void {
    const w = this.wear[M[mode]] as number;
    log.failures.push({ ts: us(t), equipment: this.spec.id, mode, wear: w });
    if (this.state === 'running') this.finishBatch(t, 'aborted', log);
    const downtime = 2 * HOUR + this.rng.exponential(6 * HOUR);
    const wo = this.workOrder();
    log.maintenance.push({
      ts: us(t),
      equipment: this.spec.id,
      kind: 'failure',
      mode,
      endedAt: us(t + downtime),
      workOrder: wo,
    });
    log.maintenance.push({
      ts: us(t + 600),
      equipment: this.spec.id,
      kind: 'repair',
      mode,
      endedAt: us(t + downtime),
      workOrder: wo,
    });
    this.wear[M[mode]] = this.rng.uniform(0, 0.03);
    this.state = 'down';
    this.stateUntil = t + downtime;
    this.counters.failures[mode]++;
  }

  private workOrder(): string {
    return `WO-${this.spec.id}-${String(++this.woSeq).padStart(4, '0')}`;
  }

  private failedMode(): FailureMode | undefined {
    for (const m of this.spec.cls.modes) if ((this.wear[M[m]] as number) >= 1) return m;
    return undefined;
  }

  /** Damage per second of mode `m` at damage `w` under `recipe` (undefined: idle). */
  private wearRate(m: FailureMode, w: number, recipe: Recipe | undefined): number {
    const life = this.lifeS[M[m]] as number;
    if (recipe === undefined || life === Infinity) return 0;
    const L = recipe.load;
    switch (m) {
      case 'bearing':
        // ∫ dw/(1+4w) from 0 to 1 = ln(5)/4: life is reached at full load.
        return ((Math.log(5) / 4) * L * L * (1 + 4 * w)) / life;
      case 'thermal':
        return (L * (1 + Math.max(0, this.motorTemp - 60) / 40)) / life;
      case 'tool_wear':
        return (L * recipe.speed) / life;
      case 'seal_wear':
        return (L * (1 + w)) / life / 1.4;
    }
  }

  private degrade(dt: number, recipe: Recipe | undefined): void {
    if (recipe !== undefined) {
      for (const m of this.spec.cls.modes) {
        const i = M[m];
        this.wear[i] = (this.wear[i] as number) + this.wearRate(m, this.wear[i] as number, recipe) * dt;
      }
      // Shocks (a crash, a hard start): about once in three days of running.
      if (this.rng.chance(dt / (72 * HOUR)))
        this.wear[M.bearing] = (this.wear[M.bearing] as number) + this.rng.uniform(0.01, 0.05);
    }
    const L = recipe?.load ?? 0.05;
    const wb = this.wear[M.bearing] as number;
    const wt = this.wear[M.thermal] as number;
    const motorTarget = AMBIENT + 45 * L + 30 * wt * wt + (recipe?.tempSetpoint ?? 0);
    const bearingTarget = AMBIENT + 30 * L + 20 * wb * wb + 10 * wt;
    this.motorTemp += (motorTarget - this.motorTemp) * (1 - Math.exp(-dt / 600));
    this.bearingTemp += (bearingTarget - this.bearingTemp) * (1 - Math.exp(-dt / 900));
  }

  private sense(t: number, dt: number, recipe: Recipe | undefined): void {
    const r = this.spec.cls.rated;
    const n = this.noise;
    const L = recipe?.load ?? 0.05;
    const speed = recipe?.speed ?? 0;
    const wb = this.wear[M.bearing] as number;
    const wt = this.wear[M.thermal] as number;
    const wq = this.wear[M.tool_wear] as number;
    const ws = this.wear[M.seal_wear] as number;
    const row = this.row;
    row[S.vibration_rms] =
      r.vib * (0.3 + 0.7 * L) * (1 + 3 * wb * wb + 0.5 * wq * wq) * (1 + 0.05 * n.normal());
    row[S.vibration_kurtosis] = 3 + 10 * wb * wb * wb + 0.3 * Math.abs(n.normal());
    row[S.bearing_temp] = this.bearingTemp + 0.3 * n.normal();
    row[S.motor_temp] = this.motorTemp + 0.4 * n.normal();
    row[S.current] =
      r.current * (0.15 + 0.85 * L) * (1 + 0.1 * wt + 0.15 * wq) + 0.02 * r.current * n.normal();
    row[S.pressure] = r.pressure * (0.2 + 0.8 * L) * (1 - 0.35 * ws) + 0.03 * r.pressure * n.normal();
    row[S.flow] = r.flow * L * (1 - 0.3 * ws) + 0.02 * r.flow * n.normal();
    row[S.speed] = r.speed * speed * (1 + 0.002 * n.normal());
    row[S.torque] = r.torque * L * (1 + 0.2 * wq) * (1 + 0.03 * n.normal());
    // Sensors the class lacks are NULL; a sensor in a dropout (loose cable, gateway hiccup) too.
    const a = this.artifacts;
    for (let s = 0; s < row.length; s++) {
      if (this.has[s] === 0) row[s] = NaN;
      else if (t < (this.dropoutUntil[s] as number)) row[s] = NaN;
      else if (a.chance(dt / (12 * HOUR))) {
        this.dropoutUntil[s] = t + a.uniform(30, 600);
        row[s] = NaN;
      }
    }
    const ts = us(t);
    this.counters.readings++;
    if (a.chance(0.0005)) {
      // Late: a gateway buffers this reading and sends it minutes later, out of order.
      this.late.push({ due: t + a.uniform(60, 300), ts, row: row.slice() });
      this.counters.late++;
      return;
    }
    this.out.push(ts, row);
    if (a.chance(0.0005)) {
      // Duplicate: the same reading sent twice (a retry after a lost acknowledgement).
      this.out.push(ts, row);
      this.counters.duplicates++;
    }
  }

  /**
   * A high-rate acceleration snapshot: the shaft tone (amplitude with load), impulses from bearing
   * defects at 3.6x shaft speed (amplitude with damage squared, ringing down in ~30 ms), and noise.
   * The impulses are what make a worn bearing's waveform spiky: its kurtosis rises with wear.
   */
  private burst(t: number, recipe: Recipe | undefined, log: EventLog): void {
    const b = this.spec.cls.burst;
    if (b === undefined) return;
    while (this.nextBurst <= t) this.nextBurst += b.everySeconds;
    const L = recipe?.load ?? 0.05;
    const wb = this.wear[M.bearing] as number;
    const n = Math.round(b.hz * b.seconds);
    const defectHz = 3.6 * b.shaftHz;
    const phase = this.noise.uniform(0, 1 / defectHz);
    for (let i = 0; i < n; i++) {
      const tau = i / b.hz;
      const sinceImpulse = (tau + phase) % (1 / defectHz);
      const impulse = 4 * wb * wb * Math.exp(-sinceImpulse / 0.03) * (1 + 0.2 * this.noise.normal());
      const accel =
        (0.2 + 0.8 * L) * Math.sin(2 * Math.PI * b.shaftHz * tau) + impulse + 0.05 * this.noise.normal();
      log.bursts.push({ ts: us(t + tau), equipment: this.spec.id, accel });
    }
    this.counters.burstSamples += n;
  }

  private releaseLate(t: number): void {
    if (this.late.length === 0) return;
    for (let i = 0; i < this.late.length;) {
      const l = this.late[i]!;
      if (l.due <= t) {
        this.out.push(l.ts, l.row);
        this.late.splice(i, 1);
      } else i++;
    }
  }

  /** Sends any held-back late readings now (end of a run). */
  flushLate(): void {
    for (const l of this.late) this.out.push(l.ts, l.row);
    this.late.length = 0;
  }

  private batchRow(
    b: QueuedBatch,
    start: number,
    status: 'planned' | 'replanned' | 'running' | 'done' | 'aborted',
    end: number,
  ) {
    return {
      ts: us(start),
      equipment: this.spec.id,
      batchId: b.batchId,
      orderId: b.orderId,
      product: b.recipe.product,
      recipe: b.recipe.recipe,
      status,
      endedAt: end === end ? us(end) : NaN,
      plannedEnd: us(start + b.durationS),
      load: b.recipe.load,
      speedSetpoint: b.recipe.speed,
      tempSetpoint: b.recipe.tempSetpoint,
    };
  }
}
