/** Shop-floor sources: MQTT (Sparkplug B and plain JSON topics) into the store, at least once. */
export { MqttSource } from './mqtt-source.ts';
export type { MqttSourceOptions, MqttSourceStats } from './mqtt-source.ts';
export {
  SparkplugState,
  parseTopic,
  encodePayload,
  decodePayload,
  NAMESPACE,
  REBIRTH_METRIC,
} from './sparkplug.ts';
export type { SourceRow, SourceEvent, SparkplugMapping } from './sparkplug.ts';
export { decodeJson, filterOf, matchTopic } from './json-topics.ts';
export type { TopicMapping } from './json-topics.ts';
export { OpcUaSource } from './opcua-source.ts';
export type { OpcUaSourceOptions, OpcUaSourceStats } from './opcua-source.ts';
