import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('the MQTT configuration', () => {
  it('defaults to no broker, a fixed client id per host and one worker reading all', () => {
    const c = loadConfig({}).mqtt;
    expect(c.url).toBeUndefined();
    expect(c.clientId).toMatch(/^pdm-/);
    expect(c.share).toBeUndefined();
    expect(c.simulatorPublishes).toBe(false);
    expect(loadConfig({ PDM_MQTT_URL: 'mqtt://127.0.0.1:1883', PDM_MQTT_SHARE: 'pdm' }).mqtt).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      share: 'pdm',
    });
  });

  it('refuses what would fail later, saying why, without echoing a password', () => {
    expect(() => loadConfig({ PDM_MQTT_URL: 'http://u:secret@broker:1883' })).toThrow(
      /PDM_MQTT_URL="http:\/\/\*\*\*@broker:1883\/?": expected mqtt:\/\//,
    );
    expect(() => loadConfig({ PDM_MQTT_SHARE: 'a/b' })).toThrow(/PDM_MQTT_SHARE="a\/b": a group name/);
    expect(() => loadConfig({ PDM_MQTT_SIMULATOR: 'true' })).toThrow(
      /PDM_MQTT_SIMULATOR=true needs PDM_MQTT_URL/,
    );
    expect(() => loadConfig({ PDM_MQTT_RECEIVE_MAX: '0' })).toThrow(
      /PDM_MQTT_RECEIVE_MAX="0": expected an integer in \[1, 65535\]/,
    );
  });
});

describe('the alert receivers', () => {
  it('sends nowhere by default; refuses a receiver that could never be reached, saying why', () => {
    expect(loadConfig({}).alerts).toEqual({
      webhookUrl: undefined,
      webhookSecret: '',
      workOrderUrl: undefined,
      workOrderSecret: '',
      mqttTopic: undefined,
    });
    expect(() => loadConfig({ PDM_ALERT_WEBHOOK_URL: 'ftp://x/y' })).toThrow(
      /PDM_ALERT_WEBHOOK_URL="ftp:\/\/x\/y": expected http:\/\/ or https:\/\//,
    );
    expect(() => loadConfig({ PDM_ALERT_WORK_ORDER_URL: 'not a url' })).toThrow(
      /PDM_ALERT_WORK_ORDER_URL="not a url": not a URL/,
    );
    expect(() => loadConfig({ PDM_ALERT_MQTT_TOPIC: 'plant1/alerts' })).toThrow(
      /PDM_ALERT_MQTT_TOPIC needs PDM_MQTT_URL/,
    );
    expect(() =>
      loadConfig({ PDM_MQTT_URL: 'mqtt://127.0.0.1:1883', PDM_ALERT_MQTT_TOPIC: 'plant1/+/alerts' }),
    ).toThrow(/PDM_ALERT_MQTT_TOPIC="plant1\/\+\/alerts": a topic root/);
  });
});

describe('the alert budgets', () => {
  it('default to two false notifications and 0.2 false work orders per equipment-month, the anomaly alarm to two, each set alone', () => {
    expect(loadConfig({}).models).toMatchObject({
      alertBudget: 2,
      workOrderBudget: 0.2,
      anomalyAlarmBudget: 2,
    });
    // The anomaly model's alarm budget no longer follows PDM_ALERT_BUDGET.
    expect(loadConfig({ PDM_ALERT_BUDGET: '3' }).models).toMatchObject({
      alertBudget: 3,
      anomalyAlarmBudget: 2,
    });
    expect(loadConfig({ PDM_ANOMALY_ALARM_BUDGET: '0.5' }).models).toMatchObject({
      alertBudget: 2,
      anomalyAlarmBudget: 0.5,
    });
    expect(() => loadConfig({ PDM_ANOMALY_ALARM_BUDGET: '0' })).toThrow(
      /PDM_ANOMALY_ALARM_BUDGET="0": expected a number > 0/,
    );
  });
});

describe("the managed QuestDB's log", () => {
  it('errors and start-up by default; INFO, DEBUG or CRITICAL when asked, in any case; nothing else', () => {
    expect(loadConfig({}).questdb.logLevel).toBe('ERROR');
    expect(loadConfig({ PDM_QUESTDB_LOG_LEVEL: 'info' }).questdb.logLevel).toBe('INFO');
    expect(loadConfig({ PDM_QUESTDB_LOG_LEVEL: 'DEBUG' }).questdb.logLevel).toBe('DEBUG');
    expect(() => loadConfig({ PDM_QUESTDB_LOG_LEVEL: 'verbose' })).toThrow(
      /PDM_QUESTDB_LOG_LEVEL="VERBOSE": expected DEBUG, INFO, ERROR or CRITICAL/,
    );
  });
});

describe('how history is read', () => {
  it('through the exports by default; the CSV export alone or the PG wire when asked; nothing else', () => {
    expect(loadConfig({}).questdb.readVia).toBe('export');
    expect(loadConfig({ PDM_READ_VIA: 'csv' }).questdb.readVia).toBe('csv');
    expect(loadConfig({ PDM_READ_VIA: 'pg' }).questdb.readVia).toBe('pg');
    expect(() => loadConfig({ PDM_READ_VIA: 'parquet' })).toThrow(
      /PDM_READ_VIA="parquet": expected export, csv or pg/,
    );
  });
});
