-- Failures (with mode), corrective repairs, preventive maintenance and inspections.
-- ts is when the event started; ended_at closes it (downtime = ended_at - ts).
CREATE TABLE IF NOT EXISTS {{maintenance}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  kind SYMBOL,
  mode SYMBOL,
  ended_at TIMESTAMP,
  work_order VARCHAR,
  note VARCHAR
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment, kind);
