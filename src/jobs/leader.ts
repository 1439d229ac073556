/**
 * Leader election between engine processes: the leader holds a PostgreSQL session-level advisory
 * lock on a dedicated connection, so it is released the moment that process dies or its
 * connection drops, and another process takes over at its next attempt. Only the leader runs
 * scheduled jobs. A single process needs no PostgreSQL: it always leads.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { errorMessage } from '../errors.ts';

export interface Leadership {
  /** Whether this process may run jobs now. */
  isLeader(): boolean;
  /** Where leadership is decided, for logs and /v1/jobs. */
  readonly describe: string;
  close(): Promise<void>;
}

/** Without PostgreSQL: this process is the only one, so it leads. */
export class SoleLeader implements Leadership {
  readonly describe = 'single process (no PDM_POSTGRES_URL)';
  isLeader(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

/** A 63-bit advisory-lock key from a name: engines sharing a PostgreSQL elect per name. */
export function lockKey(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

export interface AdvisoryLeaderOptions {
  readonly url: string;
  /** Lock name; engines with the same name (e.g. the same table prefix) elect one leader. */
  readonly name: string;
  /** How often a follower tries to take the lock, and the leader checks its connection. */
  readonly retryMs?: number;
  readonly onChange?: (leader: boolean, reason: string) => void;
}

export class AdvisoryLockLeader implements Leadership {
  private client: pg.Client | undefined;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ticking: Promise<void> = Promise.resolve();
  readonly describe: string;
  private readonly key: bigint;

  private constructor(private readonly o: AdvisoryLeaderOptions) {
    this.key = lockKey(o.name);
    this.describe = `PostgreSQL advisory lock ${this.key} (${o.name})`;
  }

  /** Connects, makes a first attempt at the lock, then keeps trying every retryMs. */
  static async start(o: AdvisoryLeaderOptions): Promise<AdvisoryLockLeader> {
    const l = new AdvisoryLockLeader(o);
    await l.tick();
    l.timer = setInterval(() => {
      l.ticking = l.ticking.then(() => l.tick());
    }, o.retryMs ?? 5000);
    l.timer.unref();
    return l;
  }

  isLeader(): boolean {
    return this.leader;
  }

  private set(leader: boolean, reason: string): void {
    if (leader !== this.leader) {
      this.leader = leader;
      this.o.onChange?.(leader, reason);
    }
  }

  private drop(reason: string): void {
    const c = this.client;
    this.client = undefined;
    this.set(false, reason);
    c?.end().catch(() => {});
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.client === undefined) {
        const c = new pg.Client({ connectionString: this.o.url, application_name: 'pdm-leader' });
        c.on('error', (err) => this.drop(`connection lost: ${errorMessage(err)}`));
        await c.connect();
        this.client = c;
      }
      if (this.leader) {
        await this.client.query('SELECT 1'); // still connected, so the lock is still ours
        return;
      }
      const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) ok', [
        this.key.toString(),
      ]);
      if (rows[0]?.ok === true) this.set(true, 'took the advisory lock');
    } catch (err) {
      this.drop(`PostgreSQL: ${errorMessage(err)}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.ticking;
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) {
      if (this.leader) await c.query('SELECT pg_advisory_unlock($1)', [this.key.toString()]).catch(() => {});
      await c.end().catch(() => {});
    }
    this.set(false, 'closed');
  }
}
