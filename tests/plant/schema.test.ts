import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlantFileError } from '../../src/plant/index.ts';
import { readPlantFile, validatePlant } from '../../src/plant/index.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples/plants');

describe('plant files', () => {
  it('reads both example plants: the simulator and NASA C-MAPSS FD001', () => {
    const sim = readPlantFile(path.join(EXAMPLES, 'simulated.yaml'));
    expect(Object.keys(sim.classes).sort()).toEqual(['cnc_spindle', 'compressor', 'filler', 'pump']);
    expect(sim.equipment).toHaveLength(12);
    // No feature set declared: derived from the class's sensors.
    expect(sim.classes.pump?.features.sensors).toEqual(sim.classes.pump?.sensors.map((s) => s.name));
    const fd = readPlantFile(path.join(EXAMPLES, 'cmapss-fd001.yaml'));
    expect(fd.classes.turbofan?.sensors).toHaveLength(24);
    expect(fd.classes.turbofan?.failure_modes).toEqual([{ code: 'PDE', name: 'degradation' }]);
    expect(fd.equipment).toHaveLength(100);
  });

  it('names every mistake by its path, ten of them at once, and applies none', () => {
    const doc = {
      name: 'plant-x',
      timezone: 'Mars/Olympus',
      colour: 'red',
      classes: {
        pump: {
          sensors: [
            { name: 'flow', unit: 'm3/h', range: [0, 100] },
            { name: 'suction_pressure', unit: 'bar', range: [5, 1] },
            { name: 'Bad Name', range: [0, 1] },
            { name: 'flow', unit: 'l/min', range: [0, 10] },
          ],
          failure_modes: [{ code: 'ELP' }],
          quality: [{ characteristic: 'purity', unit: '%', limits: { water: { lsl: 99, usl: 98 } } }],
          features: { stats: ['median'] },
        },
      },
      equipment: [{ id: 'p-1', class: 'valve', site: 's', line: 'L' }],
    };
    let problems: readonly string[] = [];
    try {
      validatePlant(doc);
    } catch (err) {
      problems = (err as PlantFileError).problems;
    }
    expect(problems).toEqual([
      'colour: unknown field (expected one of version, name, timezone, classes, equipment, mqtt, opcua, alerts)',
      'timezone: "Mars/Olympus" is not an IANA time zone (e.g. UTC, Europe/Berlin)',
      'classes.pump.sensors[1].range: low 5 must be below high 1',
      'classes.pump.sensors[2].name: "Bad Name" is not a sensor name (lowercase letters, digits and _, as a column)',
      'classes.pump.sensors[2].unit: required',
      'classes.pump.sensors[3].name: flow is declared twice in pump',
      'classes.pump.failure_modes[0].name: required',
      'classes.pump.quality[0].limits.water.usl: usl 98 must exceed lsl 99',
      'classes.pump.features.stats[0]: "median" is not one of mean, std, min, max, last, delta, slope, ewma, rms, skew, kurt, ptp, count, missing',
      'equipment[0].class: "valve" is not a class of this file (pump)',
    ]);
  });

  it('checks the MQTT mapping by path: topic filters, the equipment they name, sensors they map onto', () => {
    let problems: readonly string[] = [];
    try {
      validatePlant({
        name: 'p',
        classes: { press: { sensors: [{ name: 'force', unit: 'kN', range: [0, 500] }] } },
        equipment: [{ id: 'press-1', class: 'press', site: 's', line: 'l' }],
        mqtt: {
          sparkplug: { groups: ['g/1'], metrics: { Force: 'forse' }, colour: 1 },
          topics: [
            { pattern: 'a/b#/+equipment' },
            { pattern: 'a/+line/t' },
            { pattern: 'x/+equipment', fields: { f: 'force' } },
          ],
        },
      });
    } catch (err) {
      problems = (err as PlantFileError).problems;
    }
    expect(problems).toEqual([
      'mqtt.sparkplug.colour: unknown field (expected one of groups, devices, metrics)',
      'mqtt.sparkplug.groups[0]: "g/1" is not a group id',
      `mqtt.sparkplug.metrics.Force: "forse" is not a sensor the plant's classes declare`,
      'mqtt.topics[0].pattern: level "b#": a name, +, +name or a final #',
      'mqtt.topics[1]: name the equipment: a +equipment level in the pattern, or equipment: <id>',
    ]);
  });

  it('checks the OPC UA servers and nodes by path: endpoints, node ids, equipment and their sensors', () => {
    let problems: readonly string[] = [];
    try {
      validatePlant({
        name: 'p',
        classes: { press: { sensors: [{ name: 'force', unit: 'kN', range: [0, 500] }] } },
        equipment: [{ id: 'press-1', class: 'press', site: 's', line: 'l' }],
        opcua: {
          servers: [
            {
              endpoint: 'http://plc:4840',
              nodes: [
                { node: 'Press1.Force', equipment: 'press-1', sensor: 'force' },
                { node: 'ns=2;s=P.F', equipment: 'press-9', sensor: 'force' },
                { node: 'ns=2;i=7', equipment: 'press-1', sensor: 'torque', deadband: -1 },
              ],
            },
          ],
        },
      });
    } catch (err) {
      problems = (err as PlantFileError).problems;
    }
    expect(problems).toEqual([
      'opcua.servers[0].endpoint: "http://plc:4840" is not an OPC UA endpoint (opc.tcp://host:4840)',
      'opcua.servers[0].nodes[0].node: "Press1.Force" is not a node id (e.g. ns=2;s=Press7.Force)',
      'opcua.servers[0].nodes[1].equipment: "press-9" is not an equipment of this file',
      'opcua.servers[0].nodes[2].sensor: "torque" is not a sensor of class press (force)',
      'opcua.servers[0].nodes[2].deadband: expected an absolute deadband >= 0',
    ]);
  });

  it('refuses what is not a plant file at all', () => {
    expect(() => validatePlant([1, 2])).toThrow(/expected a mapping/);
    expect(() => validatePlant({ name: 'x' })).toThrow(/classes: required[\s\S]*equipment: required/);
  });
});
