/** MQTT helpers for tests on the shared broker. */
import mqtt from 'mqtt';

/** Ends a client's persistent session on the broker (a clean start that expires at once). */
export async function forgetSession(url: string, clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(url, {
    clientId,
    protocolVersion: 5,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
  });
  await c.endAsync();
}
