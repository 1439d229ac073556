/**
 * QoS 1 acknowledgements sent only after QuestDB accepted the readings, without reading one
 * message at a time.
 *
 * MQTT.js acknowledges a QoS 1 PUBLISH as soon as its `handleMessage` hook calls back, and reads
 * the next packet only after that: deferring the callback until a write lands would write one
 * message per QuestDB request (a few hundred messages a second). So the hook calls back at once
 * and the PUBACK itself is held: the client's packet writer is wrapped, a PUBACK is kept instead
 * of sent, and `release` sends the ones of messages whose readings are stored, in the order the
 * messages came (MQTT 3.1.1 4.6 wants PUBACKs in PUBLISH order). Held PUBACKs of a connection
 * that dropped are forgotten: the broker re-sends those messages on the resumed session (DEDUP
 * keys make the second write a no-op). The broker's receive maximum bounds how many are held.
 *
 * `_sendPacket` is MQTT.js's internal writer (mqtt 5.x; the version is pinned in package.json, and
 * tests/sources/mqtt.test.ts kills workers mid-stream to check nothing is acknowledged early).
 */
import type { MqttClient } from 'mqtt';

interface Packet {
  readonly cmd: string;
  readonly messageId?: number;
}
type Send = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export class DeferredAcks {
  private readonly held = new Map<number, Packet>();
  private readonly send: Send;
  /** Bumped on every (re)connection: a PUBACK belongs to the connection its PUBLISH came on. */
  private generation = 0;
  private heldGeneration = new Map<number, number>();

  constructor(client: MqttClient) {
    const internal = client as unknown as { _sendPacket: Send };
    if (typeof internal._sendPacket !== 'function')
      throw new Error('this mqtt client has no _sendPacket: deferred acknowledgements need mqtt 5.x');
    this.send = internal._sendPacket.bind(client);
    internal._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        this.held.set(packet.messageId, packet);
        this.heldGeneration.set(packet.messageId, this.generation);
        cb?.(); // the client reads on; the broker hears of it when the readings are stored
        return;
      }
      this.send(packet, cb, ...rest);
    };
    client.on('connect', () => {
      // Acks held for the previous connection are void: the broker re-sends those messages.
      this.generation++;
      this.held.clear();
      this.heldGeneration.clear();
    });
  }

  /** The connection a message arrived on (pass it back to `release`). */
  get connection(): number {
    return this.generation;
  }

  /** PUBACKs held now (bounded by the broker's receive maximum). */
  get pending(): number {
    return this.held.size;
  }

  /** Sends the held PUBACKs of these messages, in the order given (their arrival order). */
  release(messageIds: readonly number[], connection: number): number {
    if (connection !== this.generation) return 0;
    let sent = 0;
    for (const id of messageIds) {
      const p = this.held.get(id);
      if (p === undefined || this.heldGeneration.get(id) !== connection) continue;
      this.held.delete(id);
      this.heldGeneration.delete(id);
      this.send(p);
      sent++;
    }
    return sent;
  }
}
