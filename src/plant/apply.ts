/**
 * Applying a plant file: checked whole (schema.ts), then, only if every check passes,
 * - each sensor it declares becomes a telemetry column (never dropped);
 * - a change that would orphan stored readings (a sensor removed from a class, say by renaming
 *   it, or an equipment removed, while readings of it are stored) is refused, naming what and how
 *   many readings, unless the caller accepts it explicitly (`acceptOrphans`, recorded in the note);
 * - equipment whose ISA-95 place or class changed gets a new record in the equipment table;
 * - the canonical document is recorded as a new version. Applying the same file again changes
 *   nothing and adds no version (idempotent).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ErrorCodes, PdmError } from '../errors.ts';
import {
  assertIdentifier,
  microsToIso,
  parseTimestampMicros,
  query,
  sql,
  waitForWal,
  Writer,
} from '../store/index.ts';
import type { EquipmentPlace, Store } from '../store/index.ts';
import { PlantFileError, validatePlant } from './schema.ts';
import type { Plant } from './schema.ts';

export interface AppliedPlant {
  readonly version: number;
  readonly changed: boolean;
  readonly sha256: string;
  readonly columns_added: readonly string[];
  readonly equipment_written: readonly string[];
  /** Orphaned readings accepted with acceptOrphans, as "equipment.sensor: n readings". */
  readonly orphans_accepted: readonly string[];
  readonly plant: Plant;
}

/** Two installation instants (store or plant file text) are the same, both unknown included. */
function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = parseTimestampMicros(a ?? null);
  const y = parseTimestampMicros(b ?? null);
  return x === y || (x !== x && y !== y);
}

/** Reads a plant file (YAML or JSON: YAML is a superset) into a checked plant. */
export function readPlantFile(file: string): Plant {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PdmError(
      ErrorCodes.INGEST_INPUT,
      `cannot read the plant file ${file}: ${(err as Error).message}`,
    );
  }
  return parsePlant(text, file);
}

export function parsePlant(text: string, what = 'the plant file'): Plant {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw plantError(new PlantFileError([`(syntax): ${(err as Error).message.split('\n')[0]}`]), what);
  }
  try {
    return validatePlant(doc);
  } catch (err) {
    throw err instanceof PlantFileError ? plantError(err, what) : err;
  }
}

function plantError(err: PlantFileError, what: string): PdmError {
  return new PdmError(ErrorCodes.PLANT_INVALID, `${what}: ${err.message}`, {
    detail: { status: 400, field: 'body', problems: err.problems },
  });
}

/** Canonical JSON: keys sorted, so an equal plant hashes equal whatever the file's order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * A stored plant document read back through the schema, so defaults added since it was applied
 * (a field this engine version knows and that one did not) are filled in like a new file's.
 */
function storedPlant(document: string): Plant {
  const doc = JSON.parse(document) as unknown;
  try {
    return validatePlant(doc);
  } catch {
    return doc as Plant; // checked when it was applied; rules tightened since do not unapply it
  }
}

/** The plant in force (latest applied version), or null before the first apply. */
export async function currentPlant(
  store: Store,
  version?: number,
): Promise<{ version: number; sha256: string; applied_at: string; plant: Plant } | null> {
  const { rows } =
    version === undefined
      ? await query<{ version: number; sha256: string; document: string; ts: string }>(
          store.pool,
          sql('plant_latest', store.tables),
        )
      : await query<{ version: number; sha256: string; document: string; ts: string }>(
          store.pool,
          sql('plant_version', store.tables),
          [version],
        );
  const r = rows[0];
  if (r === undefined) return null;
  return {
    version: Number(r.version),
    sha256: r.sha256,
    applied_at: microsToIso(parseTimestampMicros(r.ts)),
    plant: storedPlant(r.document),
  };
}

export async function applyPlant(
  store: Store,
  plant: Plant,
  o: { acceptOrphans?: boolean; now?: number } = {},
): Promise<AppliedPlant> {
  const doc = canonical(plant);
  const sha256 = createHash('sha256').update(doc).digest('hex');
  const before = await currentPlant(store);
  if (before?.sha256 === sha256)
    return {
      version: before.version,
      changed: false,
      sha256,
      columns_added: [],
      equipment_written: [],
      orphans_accepted: [],
      plant,
    };

  // What the new plant no longer declares, and whether readings of it are stored.
  const orphans: string[] = [];
  if (before !== null) {
    const sensorsOf = (p: Plant, eq: string) => {
      const e = p.equipment.find((x) => x.id === eq);
      return new Set(e === undefined ? [] : (p.classes[e.class]?.sensors ?? []).map((s) => s.name));
    };
    for (const e of before.plant.equipment) {
      const had = sensorsOf(before.plant, e.id);
      const has = sensorsOf(plant, e.id);
      for (const s of had) {
        if (has.has(s)) continue;
        const { rows } = await query<{ n: string }>(
          store.pool,
          sql('telemetry_sensor_count', store.tables, { sensor: [assertIdentifier(s, 'sensor')] }),
          [e.id],
        );
        const n = Number(rows[0]?.n ?? 0);
        if (n > 0) orphans.push(`${e.id}.${s}: ${n} readings`);
      }
    }
  }
  if (orphans.length > 0 && o.acceptOrphans !== true)
    throw new PdmError(
      ErrorCodes.PLANT_INVALID,
      `applying this plant would orphan stored readings (a sensor removed or renamed, or its equipment removed or moved to another class):\n  ${orphans.join('\n  ')}\n` +
        'nothing was applied; keep the sensor (a renamed sensor is a new column: declare both), or apply again with --accept-orphans to keep the readings unread',
      { detail: { status: 409, field: 'body', orphans } },
    );

  // Columns: every declared sensor is a telemetry column.
  const { rows: cols } = await query<{ name: string }>(store.pool, sql('telemetry_columns', store.tables));
  const existing = new Set(cols.map((c) => c.name));
  const added: string[] = [];
  for (const name of new Set(Object.values(plant.classes).flatMap((c) => c.sensors.map((s) => s.name)))) {
    if (existing.has(name)) continue;
    await query(
      store.pool,
      sql('telemetry_add_sensor', store.tables, { sensor: [assertIdentifier(name, 'sensor')] }),
    );
    added.push(name);
  }

  // Equipment records: a new one only where the place or class changed.
  const { rows: current } = await query<EquipmentPlace>(store.pool, sql('equipment_current', store.tables));
  const byId = new Map(current.map((r) => [r.equipment, r]));
  const changed = plant.equipment.filter((e) => {
    const r = byId.get(e.id);
    return (
      r === undefined ||
      r.site !== e.site ||
      (r.area ?? null) !== e.area ||
      r.line !== e.line ||
      (r.cell ?? null) !== e.cell ||
      r.equipment_class !== e.class ||
      !sameInstant(r.installed_at, e.installed_at)
    );
  });
  const now = (o.now ?? Date.now()) * 1000;
  if (changed.length > 0) {
    const w = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.equipment,
      symbols: ['equipment', 'site', 'area', 'line', 'cell', 'equipment_class'],
      doubles: [],
      timestamps: ['installed_at'],
      strings: ['name'],
    });
    for (const e of changed)
      await w.append(
        now,
        [e.id, e.site, e.area, e.line, e.cell, e.class],
        [],
        [],
        [e.installed_at === null ? NaN : Date.parse(e.installed_at) * 1000],
        [e.name],
      );
    await w.close();
  }

  const version = (before?.version ?? 0) + 1;
  const note = [
    added.length > 0 ? `columns added: ${added.join(', ')}` : '',
    changed.length > 0 ? `equipment records: ${changed.length}` : '',
    orphans.length > 0 ? `orphans accepted: ${orphans.join('; ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  await query(store.pool, sql('plant_record', store.tables), [
    microsToIso(now),
    version,
    sha256,
    plant.name,
    doc,
    note,
  ]);
  // Visible before we return: the next apply numbers its version from this one (WAL is applied
  // asynchronously), and the equipment records with it.
  await waitForWal(store.pool, store.tables, store.tables.plant_versions);
  if (changed.length > 0) await waitForWal(store.pool, store.tables, store.tables.equipment);
  return {
    version,
    changed: true,
    sha256,
    columns_added: added,
    equipment_written: changed.map((e) => e.id),
    orphans_accepted: orphans,
    plant,
  };
}
