-- Ground truth of the plant simulator (src/sim). Never read by feature or model code: it is what
-- forecasts are scored against. Health is sampled every 10 minutes per equipment.
CREATE TABLE IF NOT EXISTS {{sim_health}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  health DOUBLE,
  bearing_wear DOUBLE,
  thermal_wear DOUBLE,
  tool_wear DOUBLE,
  seal_wear DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment);

-- The instant each failure happened (damage crossed 1) and its mode.
CREATE TABLE IF NOT EXISTS {{sim_failures}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  mode SYMBOL,
  wear DOUBLE
) TIMESTAMP(ts) PARTITION BY YEAR WAL
DEDUP UPSERT KEYS(ts, equipment, mode);

-- Per finished batch: the true mean of the quality characteristic and the running hours until it
-- crosses a spec limit at that batch's recipe.
CREATE TABLE IF NOT EXISTS {{sim_quality_truth}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  batch_id SYMBOL CAPACITY 262144 CACHE,
  characteristic SYMBOL,
  true_mean DOUBLE,
  time_to_limit_h DOUBLE
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment, batch_id, characteristic);
