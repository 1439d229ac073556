/** What the simulator emits, table by table. Times are epoch microseconds; NaN means NULL. */

export interface BatchRow {
  readonly ts: number;
  readonly equipment: string;
  readonly batchId: string;
  readonly orderId: string;
  readonly product: string;
  readonly recipe: string;
  readonly status: 'planned' | 'replanned' | 'running' | 'done' | 'aborted';
  readonly endedAt: number;
  /** When the plan has it end: start plus the planned duration. */
  readonly plannedEnd: number;
  readonly load: number;
  readonly speedSetpoint: number;
  readonly tempSetpoint: number;
}

export interface OrderRow {
  readonly ts: number;
  readonly orderId: string;
  readonly product: string;
  readonly line: string;
  readonly quantity: number;
  readonly dueAt: number;
  readonly status: 'released' | 'completed';
}

export interface MaintenanceRow {
  readonly ts: number;
  readonly equipment: string;
  readonly kind: 'failure' | 'repair' | 'preventive';
  readonly mode: string;
  readonly endedAt: number;
  readonly workOrder: string;
}

export interface QualityRow {
  readonly ts: number;
  readonly equipment: string;
  readonly batchId: string;
  readonly characteristic: string;
  readonly value: number;
  readonly lsl: number;
  readonly usl: number;
}

/** Ground truth: never written to the tables models learn from. */
export interface HealthTruth {
  readonly ts: number;
  readonly equipment: string;
  readonly health: number;
  readonly wear: Float64Array; // by MODES
}

export interface FailureTruth {
  readonly ts: number;
  readonly equipment: string;
  readonly mode: string;
  readonly wear: number;
}

export interface QualityTruth {
  readonly ts: number;
  readonly equipment: string;
  readonly batchId: string;
  readonly characteristic: string;
  readonly trueMean: number;
  /** Running hours until the mean crosses a spec limit at the current recipe (0 if it has). */
  readonly timeToLimitH: number;
}

/** One sample of a high-rate vibration burst (acceleration, g). */
export interface BurstSample {
  readonly ts: number;
  readonly equipment: string;
  readonly accel: number;
}

/** Where the machines put what happens; the runner drains it into a sink after each step. */
export interface EventLog {
  readonly bursts: BurstSample[];
  readonly batches: BatchRow[];
  readonly orders: OrderRow[];
  readonly maintenance: MaintenanceRow[];
  readonly quality: QualityRow[];
  readonly health: HealthTruth[];
  readonly failures: FailureTruth[];
  readonly qualityTruth: QualityTruth[];
}

export function newEventLog(): EventLog {
  return {
    bursts: [],
    batches: [],
    orders: [],
    maintenance: [],
    quality: [],
    health: [],
    failures: [],
    qualityTruth: [],
  };
}

export function clearEventLog(log: EventLog): void {
  for (const list of Object.values(log) as unknown[][]) list.length = 0;
}
