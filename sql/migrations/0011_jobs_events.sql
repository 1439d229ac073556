-- Run history of the scheduled jobs: one row per run, keyed by its start. A run is written when
-- it starts (status running) and upserted when it ends (ok or failed, with rows and the error),
-- so a run that crashed the process stays visible as "running" with no end.
CREATE TABLE IF NOT EXISTS {{job_runs}} (
  ts TIMESTAMP,
  job SYMBOL,
  status SYMBOL,
  ended_at TIMESTAMP,
  rows LONG,
  detail STRING,
  error STRING,
  host SYMBOL
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, job);

-- Events the engine raises about the plant's data, e.g. an equipment that stopped reporting or a
-- sensor that went silent. ts is when the condition began (the last reading seen), so repeated
-- checks of the same episode upsert one row instead of adding one per check.
CREATE TABLE IF NOT EXISTS {{events}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  kind SYMBOL,
  sensor SYMBOL,
  detail STRING,
  detected_at TIMESTAMP
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, equipment, kind, sensor);
