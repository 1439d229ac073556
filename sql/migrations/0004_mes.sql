-- MES production orders, keyed by their release time and id; a re-sent order replaces itself.
CREATE TABLE IF NOT EXISTS {{orders}} (
  ts TIMESTAMP,
  order_id SYMBOL CAPACITY 65536 CACHE,
  product SYMBOL,
  line SYMBOL,
  quantity DOUBLE,
  due_at TIMESTAMP,
  status SYMBOL
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, order_id);

-- Batches (lots) per equipment. ts is the (planned or actual) start so that
-- `ASOF JOIN {{batches}} ON (equipment)` finds the batch running at an instant; ended_at bounds it.
-- Planned batches carry status 'planned' and are upserted to 'running'/'done' as the MES reports.
CREATE TABLE IF NOT EXISTS {{batches}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  batch_id SYMBOL CAPACITY 262144 CACHE,
  order_id SYMBOL CAPACITY 65536 CACHE,
  product SYMBOL,
  recipe SYMBOL,
  status SYMBOL,
  ended_at TIMESTAMP,
  load DOUBLE,
  speed_setpoint DOUBLE,
  temp_setpoint DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment, batch_id);
