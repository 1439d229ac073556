-- Quality measurements with the spec limits in force when measured (limits change per product).
CREATE TABLE IF NOT EXISTS {{quality}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  batch_id SYMBOL CAPACITY 262144 CACHE,
  characteristic SYMBOL,
  value DOUBLE,
  lsl DOUBLE,
  usl DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment, batch_id, characteristic);
