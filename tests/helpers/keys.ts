/**
 * The secret part of an API key `pdm_<12 hex>_<secret>`. The secret is base64url, so it may hold
 * `_` itself (and start with one): splitting the key on `_` gives a piece of it, or ''.
 */
export function keySecret(key: string): string {
  const m = /^pdm_[0-9a-f]{12}_(.+)$/.exec(key);
  if (!m) throw new Error(`not an API key: ${key.slice(0, 20)}`);
  return m[1]!;
}
