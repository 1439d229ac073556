-- Computed features, persisted on request (`pdm features compute --persist`): one row per
-- equipment, instant and feature set. Feature columns (DOUBLE, named sensor__stat__window) are
-- added by ILP as feature sets introduce them; the feature set's hash is part of the key, so two
-- versions of a set never overwrite each other.
CREATE TABLE IF NOT EXISTS {{features}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  feature_set SYMBOL
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, equipment, feature_set);
