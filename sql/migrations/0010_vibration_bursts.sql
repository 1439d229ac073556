-- High-rate vibration snapshots (acceleration waveforms, e.g. 1 s at 100 Hz every hour): kept
-- apart from the 1 s telemetry so a wide table is not padded with 99 empty rows per second.
CREATE TABLE IF NOT EXISTS {{vibration_bursts}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  accel DOUBLE
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, equipment);
