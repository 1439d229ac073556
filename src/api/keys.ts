/**
 * API keys with roles. A key is `pdm_<id>_<secret>`; only a salted scrypt hash of the secret is
 * stored (PDM_KEYS_FILE, written atomically), and checked with a constant-time comparison.
 * scrypt is slow on purpose (tens of ms), so a key that verified once is remembered by the
 * SHA-256 of the presented string for the life of the process: the hot path pays a hash lookup,
 * a guess still pays the full scrypt. Keys created by another process (`pdm keys create`) are
 * picked up when an unknown id is presented and the file has changed.
 * Roles: mes (scoring, intake), scheduler (forecasts), engineer (analyses, models, training), admin.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROLES = ['mes', 'scheduler', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

interface StoredKey {
  readonly id: string;
  readonly role: Role;
  readonly salt: string;
  readonly hash: string;
  readonly createdAt: string;
}

const hashOf = (secret: string, salt: string) =>
  scryptSync(secret, Buffer.from(salt, 'hex'), 32).toString('hex');

export class KeyStore {
  private keys: StoredKey[] = [];
  private loadedMtime = -1;
  private readonly verified = new Map<string, Role>();

  constructor(readonly file: string) {
    this.load();
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const mtime = statSync(this.file).mtimeMs;
    if (mtime === this.loadedMtime) return;
    this.keys = (JSON.parse(readFileSync(this.file, 'utf8')) as { keys: StoredKey[] }).keys ?? [];
    this.loadedMtime = mtime;
  }

  /** Creates a key and returns it in clear: the only time it is ever shown. */
  create(role: Role): { key: string; id: string; role: Role } {
    if (!ROLES.includes(role)) throw new RangeError(`role must be one of ${ROLES.join(', ')}`);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const salt = randomBytes(16).toString('hex');
    this.keys.push({ id, role, salt, hash: hashOf(secret, salt), createdAt: new Date().toISOString() });
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ keys: this.keys }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
    this.loadedMtime = statSync(this.file).mtimeMs;
    return { key: `pdm_${id}_${secret}`, id, role };
  }

  get size(): number {
    return this.keys.length;
  }

  /** The role of a presented key, or undefined when it is unknown or wrong. */
  verify(presented: string | undefined): Role | undefined {
    const m = /^pdm_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})$/.exec(presented ?? '');
    if (!m) return undefined;
    const digest = createHash('sha256')
      .update(presented as string)
      .digest('base64');
    const known = this.verified.get(digest);
    if (known !== undefined) return known;
    let stored = this.keys.find((k) => k.id === m[1]);
    if (stored === undefined) {
      this.load(); // created by another process since?
      stored = this.keys.find((k) => k.id === m[1]);
    }
    // Hash even for an unknown id, so timing does not tell which ids exist.
    const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
    const actual = Buffer.from(hashOf(m[2] as string, stored?.salt ?? '00'), 'hex');
    if (stored === undefined || !timingSafeEqual(expected, actual)) return undefined;
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(digest, stored.role);
    return stored.role;
  }
}
