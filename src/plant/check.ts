/**
 * Readings against the plant in force: a value outside its sensor's plausible range is not a
 * reading of that sensor (a unit mistake, a failed transmitter, a mapping error) and is refused
 * with the field and the reason; so is a sensor the equipment's class does not declare. Equipment
 * the plant file does not list, and a store with no plant applied yet, are checked by the rest of
 * the ingestion path only (times, numbers, known equipment): declaring the plant is optional.
 */
import type { Plant, SensorSpec } from './schema.ts';

export interface ReadingCheck {
  /**
   * Null when the row's values are plausible for its equipment; else the first field at fault and
   * why. `values[j]` is the reading of `columns[j]`; NaN (missing) is always fine.
   */
  check(
    equipment: string,
    columns: readonly string[],
    values: ArrayLike<number>,
  ): { field: string; reason: string } | null;
}

/** A check against `plant`; every equipment's sensors looked up once. */
export function readingCheck(plant: Plant | null): ReadingCheck {
  const byEquipment = new Map<string, { cls: string; sensors: Map<string, SensorSpec> }>();
  for (const e of plant?.equipment ?? []) {
    const cls = plant?.classes[e.class];
    if (cls !== undefined)
      byEquipment.set(e.id, { cls: e.class, sensors: new Map(cls.sensors.map((s) => [s.name, s])) });
  }
  return {
    check(equipment, columns, values) {
      const spec = byEquipment.get(equipment);
      if (spec === undefined) return null;
      for (let j = 0; j < columns.length; j++) {
        const v = values[j] as number;
        if (v !== v) continue; // missing
        const name = columns[j] as string;
        const s = spec.sensors.get(name);
        if (s === undefined)
          return {
            field: name,
            reason: `not a sensor of class ${spec.cls} (the plant file declares ${[...spec.sensors.keys()].join(', ')})`,
          };
        if (v < s.range[0] || v > s.range[1])
          return {
            field: name,
            reason: `${v} is outside the plausible range [${s.range[0]}, ${s.range[1]}] ${s.unit} of ${name} on ${spec.cls} (plant file)`,
          };
      }
      return null;
    },
  };
}

/**
 * A failure mode as stored: the name of the mode of the equipment's class that `mode` names (by
 * name or by code, e.g. ISO 14224's), `{ reason }` when its class declares no such mode, or null
 * when the plant does not list the equipment (then the mode is stored as sent).
 */
export function failureMode(
  plant: Plant | null,
  equipment: string,
  mode: string,
): string | { reason: string } | null {
  const e = plant?.equipment.find((x) => x.id === equipment);
  const cls = e === undefined ? undefined : plant?.classes[e.class];
  if (e === undefined || cls === undefined) return null;
  const m = cls.failure_modes.find((x) => x.name === mode || x.code === mode);
  if (m !== undefined) return m.name;
  return {
    reason:
      cls.failure_modes.length === 0
        ? `class ${e.class} declares no failure mode (add it to the plant file)`
        : `${JSON.stringify(mode)} is not a failure mode of class ${e.class} (the plant file declares ${cls.failure_modes.map((x) => `${x.name} (${x.code})`).join(', ')})`,
  };
}
