-- Equipment readings, one row per equipment and instant, one DOUBLE column per sensor.
-- Wide rather than one row per sensor: the feature kernels read a sensor as one column, and a row
-- carries 8-10 readings at a time. Sensors a class does not have stay NULL; a new sensor arriving
-- over ILP adds a DOUBLE column. DEDUP on (ts, equipment) makes a re-sent batch a no-op.
CREATE TABLE IF NOT EXISTS {{telemetry}} (
  ts TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  vibration_rms DOUBLE,
  vibration_kurtosis DOUBLE,
  bearing_temp DOUBLE,
  motor_temp DOUBLE,
  current DOUBLE,
  pressure DOUBLE,
  flow DOUBLE,
  speed DOUBLE,
  torque DOUBLE
) TIMESTAMP(ts) PARTITION BY DAY WAL
DEDUP UPSERT KEYS(ts, equipment);
