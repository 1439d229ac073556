/** Alerts: from forecasts to actions, recorded, delivered and acted on (docs/alerts.md). */
export { AlertManager, actOnAlert, conditionsOf, messageOf } from './manager.ts';
export type { AlertAction, EvaluateOutcome } from './manager.ts';
export { AlertDeliverer, deliveriesOf, signature } from './delivery.ts';
export type { DeliveryOptions, DeliveryTarget, Receiver } from './delivery.ts';
export { alertHistory, latestAlerts, viewOf, writeAlertRows } from './store.ts';
export type { AlertRow, AlertState, AlertView } from './store.ts';

import type { Config } from '../config.ts';
import type { Receiver } from './delivery.ts';

/** The receivers the configuration names. */
export function receiversOf(config: Config): Receiver[] {
  const a = config.alerts;
  return [
    ...(a.webhookUrl ? [{ target: 'webhook' as const, url: a.webhookUrl, secret: a.webhookSecret }] : []),
    ...(a.workOrderUrl
      ? [{ target: 'work_order' as const, url: a.workOrderUrl, secret: a.workOrderSecret }]
      : []),
    ...(a.mqttTopic && config.mqtt.url
      ? [{ target: 'mqtt' as const, url: config.mqtt.url, secret: '', topic: a.mqttTopic }]
      : []),
  ];
}
