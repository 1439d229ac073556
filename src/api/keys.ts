/**
 * API keys with roles. A key is `pdm_<id>_<secret>`; only a salted scrypt hash of the secret is
 * stored (PDM_KEYS_FILE, written atomically, mode 600), and checked with a constant-time comparison.
 *
 * scrypt is slow on purpose (tens of ms), so the check is built for a flood of wrong keys:
 * - it runs asynchronously (`crypto.scrypt` on libuv's thread pool, never on the event loop), one
 *   at a time by default, with a bounded queue (more are refused as busy): a flood waits for
 *   itself, not for the MES;
 * - a key that verified once is remembered by the SHA-256 of the presented string, and so is a
 *   key that failed (for `negativeTtlMs`), so a repeated guess costs a hash lookup;
 * - every remembered answer is re-checked against the current file: a revoked or expired key
 *   stops working as soon as the file is re-read (`watch` polls it every second or two).
 * Roles: mes (scoring, intake), scheduler (forecasts), engineer (analyses, models, training), admin.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../write-atomic.ts';

export const ROLES = ['mes', 'scheduler', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

interface StoredKey {
  readonly id: string;
  readonly role: Role;
  readonly salt: string;
  readonly hash: string;
  readonly createdAt: string;
  /** ISO instant after which the key is refused; absent: never. */
  readonly expiresAt?: string;
  /** ISO instant the key was revoked; a revoked key stays listed, and refused. */
  readonly revokedAt?: string;
  readonly note?: string;
}

/** What `pdm keys list` and the admin see of a key: never its secret or hash. */
export interface KeyInfo {
  readonly id: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly status: 'active' | 'expired' | 'revoked';
  readonly note: string | null;
}

/** The outcome of presenting a key. */
export type Verdict =
  | { readonly ok: true; readonly id: string; readonly role: Role }
  | { readonly ok: false; readonly reason: 'malformed' | 'unknown' | 'expired' | 'revoked' | 'busy' };

const KEY_SHAPE = /^pdm_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})$/;

const scryptAsync = (secret: string, salt: string) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, Buffer.from(salt, 'hex'), 32, (err, key) => (err ? reject(err) : resolve(key))),
  );

export interface KeyStoreOptions {
  /**
   * scrypt checks running at once (default 1): each holds a core for ~50 ms, and on a small
   * machine the MES's requests need the others. Measured on 2 cores (bench:api-flood): two at a
   * time let 200 made-up keys a second raise the score route's p99 2.5x; one at a time keeps it
   * within 2x.
   */
  readonly concurrency?: number;
  /** Checks waiting for a slot; more are refused as busy at once (default 64). */
  readonly queue?: number;
  /** How long a wrong key is remembered as wrong (default 60 s). */
  readonly negativeTtlMs?: number;
  readonly now?: () => number;
}

export class KeyStore {
  private keys = new Map<string, StoredKey>();
  private loadedMtime = -1;
  private readonly good = new Map<string, string>(); // digest -> key id
  private readonly bad = new Map<string, number>(); // digest -> remembered until (ms)
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly queue: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    readonly file: string,
    o: KeyStoreOptions = {},
  ) {
    this.concurrency = o.concurrency ?? 1;
    this.queue = o.queue ?? 64;
    this.negativeTtlMs = o.negativeTtlMs ?? 60_000;
    this.now = o.now ?? Date.now;
    this.load();
  }

  /** Re-reads the file when it changed (another process created or revoked a key). */
  load(): void {
    if (!existsSync(this.file)) {
      if (this.loadedMtime !== -1) this.keys = new Map();
      this.loadedMtime = -1;
      return;
    }
    const mtime = statSync(this.file).mtimeMs;
    if (mtime === this.loadedMtime) return;
    const keys = (JSON.parse(readFileSync(this.file, 'utf8')) as { keys?: StoredKey[] }).keys ?? [];
    this.keys = new Map(keys.map((k) => [k.id, k]));
    this.loadedMtime = mtime;
  }

  /** Polls the file so revocations reach this process within `everyMs`; stop with close(). */
  watch(everyMs = 1000): this {
    this.timer ??= setInterval(() => {
      try {
        this.load();
      } catch {
        // a half-written file from another editor: the next poll reads it whole
      }
    }, everyMs).unref();
    return this;
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeAtomic(this.file, JSON.stringify({ keys: [...this.keys.values()] }, null, 2) + '\n', 0o600);
    this.loadedMtime = statSync(this.file).mtimeMs;
  }

  /**
   * Creates a key and returns it in clear: the only time it is ever shown.
   * `expiresAt`: an instant after which it is refused.
   */
  create(role: Role, o: { expiresAt?: Date; note?: string } = {}): { key: string; id: string; role: Role } {
    if (!ROLES.includes(role)) throw new RangeError(`role must be one of ${ROLES.join(', ')}`);
    if (o.expiresAt !== undefined && !(o.expiresAt.getTime() > this.now()))
      throw new RangeError('the expiry must lie in the future');
    this.load();
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const salt = randomBytes(16).toString('hex');
    this.keys.set(id, {
      id,
      role,
      salt,
      hash: scryptSync(secret, Buffer.from(salt, 'hex'), 32).toString('hex'),
      createdAt: new Date(this.now()).toISOString(),
      ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt.toISOString() }),
      ...(o.note === undefined ? {} : { note: o.note }),
    });
    this.save();
    return { key: `pdm_${id}_${secret}`, id, role };
  }

  /** Revokes a key by its id (the part after `pdm_`); false when there is no such key. */
  revoke(id: string): boolean {
    this.load();
    const k = this.keys.get(id);
    if (k === undefined) return false;
    if (k.revokedAt === undefined) {
      this.keys.set(id, { ...k, revokedAt: new Date(this.now()).toISOString() });
      this.save();
    }
    return true;
  }

  list(): KeyInfo[] {
    this.load();
    return [...this.keys.values()].map((k) => ({
      id: k.id,
      role: k.role,
      createdAt: k.createdAt,
      expiresAt: k.expiresAt ?? null,
      revokedAt: k.revokedAt ?? null,
      status: this.stateOf(k),
      note: k.note ?? null,
    }));
  }

  /** Active keys (not revoked, not expired). */
  get size(): number {
    return [...this.keys.values()].filter((k) => this.stateOf(k) === 'active').length;
  }

  private stateOf(k: StoredKey): 'active' | 'expired' | 'revoked' {
    if (k.revokedAt !== undefined) return 'revoked';
    if (k.expiresAt !== undefined && Date.parse(k.expiresAt) <= this.now()) return 'expired';
    return 'active';
  }

  /** The verdict on a key already checked, without scrypt; undefined when it must be checked. */
  cached(presented: string): Verdict | undefined {
    const digest = createHash('sha256').update(presented).digest('base64');
    const id = this.good.get(digest);
    if (id !== undefined) return this.current(id);
    const until = this.bad.get(digest);
    if (until !== undefined) {
      if (until > this.now()) return { ok: false, reason: 'unknown' };
      this.bad.delete(digest);
    }
    return undefined;
  }

  private current(id: string): Verdict {
    const k = this.keys.get(id);
    if (k === undefined) return { ok: false, reason: 'unknown' };
    const state = this.stateOf(k);
    return state === 'active' ? { ok: true, id, role: k.role } : { ok: false, reason: state };
  }

  /** Checks a presented key (scrypt off the event loop, bounded); see the module comment. */
  async verify(presented: string): Promise<Verdict> {
    const m = KEY_SHAPE.exec(presented);
    if (!m) return { ok: false, reason: 'malformed' };
    const hit = this.cached(presented);
    if (hit !== undefined) return hit;
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) return { ok: false, reason: 'busy' };
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      const id = m[1] as string;
      let stored = this.keys.get(id);
      if (stored === undefined) {
        this.load(); // created by another process since?
        stored = this.keys.get(id);
      }
      // Hash even for an unknown id, so timing does not tell which ids exist.
      const actual = await scryptAsync(m[2] as string, stored?.salt ?? '00');
      const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
      const digest = createHash('sha256').update(presented).digest('base64');
      if (stored === undefined || !timingSafeEqual(expected, actual)) {
        if (this.bad.size >= 100_000) this.bad.clear();
        this.bad.set(digest, this.now() + this.negativeTtlMs);
        return { ok: false, reason: 'unknown' };
      }
      if (this.good.size >= 10_000) this.good.clear();
      this.good.set(digest, id);
      return this.current(id);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
