-- Forecasts written by scoring runs: failure probability per mode within a horizon, RUL with an
-- interval, and the model version that made them. Re-running a scoring job at the same ts upserts.
CREATE TABLE IF NOT EXISTS {{forecasts}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  mode SYMBOL,
  horizon_h INT,
  probability DOUBLE,
  rul_h DOUBLE,
  rul_lo_h DOUBLE,
  rul_hi_h DOUBLE,
  model_version SYMBOL
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, equipment, mode, horizon_h, model_version);
