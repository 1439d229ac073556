/**
 * How a CSV/NDJSON file's fields map onto telemetry: which field is the time, which the equipment,
 * and which become sensor columns (`--sensors vibration_rms=vib,bearing_temp`). Without a sensor
 * list, every other field is a sensor named as in the file.
 */
import { ErrorCodes, PdmError } from '../errors.ts';
import { assertIdentifier } from '../store/tables.ts';
import { fieldList, formatEquipment, parseEquipment, quoted } from './values.ts';
import type { CycleClock, TimeUnit } from './values.ts';

export interface SensorMapping {
  /** Column in the table. */
  readonly column: string;
  /** Field in the file. */
  readonly field: string;
}

export interface MappingOptions {
  readonly table: string;
  readonly timeField?: string;
  readonly equipmentField?: string;
  /** One equipment id for the whole file, when the file has no equipment field. */
  readonly equipment?: string;
  readonly timeUnit?: TimeUnit;
  /** With `timeUnit: 'cycle'`: the cycle length and the instant of cycle 0. */
  readonly cycle?: CycleClock;
  /** A template making equipment ids from the equipment field (`fd001-%03d`; see formatEquipment). */
  readonly equipmentFormat?: string;
  /** The file has no header line: these name its fields, in order. */
  readonly columns?: readonly string[];
  readonly sensors?: readonly SensorMapping[];
}

/** The equipment id of a row: the one id given for the file, or its field through the template. */
export function equipmentOf(raw: unknown, options: MappingOptions): string | undefined {
  if (options.equipment !== undefined) return options.equipment;
  return options.equipmentFormat === undefined
    ? parseEquipment(raw)
    : formatEquipment(raw, options.equipmentFormat);
}

/** Parses `col=field,col2` (a bare name maps a field onto the column of the same name). */
export function parseSensorList(spec: string): SensorMapping[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const eq = item.indexOf('=');
      const column = (eq < 0 ? item : item.slice(0, eq)).trim();
      const field = (eq < 0 ? item : item.slice(eq + 1)).trim();
      return { column, field };
    });
}

/** Resolves the sensors of a file from its field names (CSV header or first NDJSON record). */
export function resolveSensors(fields: readonly string[], options: MappingOptions): readonly SensorMapping[] {
  const timeField = options.timeField ?? 'ts';
  const equipmentField = options.equipmentField ?? 'equipment';
  if (!fields.includes(timeField)) {
    throw new PdmError(
      ErrorCodes.INGEST_INPUT,
      `Time field ${quoted(timeField)} not found (fields: ${fieldList(fields)}); name it with --time-field`,
    );
  }
  if (options.equipment === undefined && !fields.includes(equipmentField)) {
    throw new PdmError(
      ErrorCodes.INGEST_INPUT,
      `Equipment field ${quoted(equipmentField)} not found (fields: ${fieldList(fields)}); ` +
        'name it with --equipment-field or give one id with --equipment',
    );
  }
  const sensors =
    options.sensors ??
    fields.filter((f) => f !== timeField && f !== equipmentField).map((f) => ({ column: f, field: f }));
  if (sensors.length === 0) throw new PdmError(ErrorCodes.INGEST_INPUT, 'No sensor fields to ingest');
  for (const s of sensors) {
    if (options.sensors && !fields.includes(s.field)) {
      throw new PdmError(
        ErrorCodes.INGEST_INPUT,
        `Sensor field ${quoted(s.field)} not found (fields: ${fieldList(fields)})`,
      );
    }
    try {
      assertIdentifier(s.column, 'sensor column');
    } catch {
      throw new PdmError(
        ErrorCodes.INGEST_INPUT,
        `Field ${quoted(s.field)} is not a valid sensor column name; map it, e.g. --sensors my_sensor=${quoted(s.field)}`,
      );
    }
    if (s.column === 'ts' || s.column === 'equipment' || s.column === 'sensor_set') {
      throw new PdmError(
        ErrorCodes.INGEST_INPUT,
        `Sensor column ${quoted(s.column)} clashes with a key column`,
      );
    }
  }
  return sensors;
}
