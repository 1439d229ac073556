-- Readings of different sensors are independent. DEDUP UPSERT replaces a whole row, so with keys
-- (ts, equipment) two sources reporting different sensors of one machine at the same instant (a
-- file and a stream, two OPC UA nodes, two MQTT topics) erased each other's values. The key now
-- also carries the set of sensors a row is written with (`sensor_set`, a short digest of the sorted
-- column names, set by the writer): a re-sent row of the same source still replaces itself, a row
-- from a source with other sensors is a row of its own. Rows written before this migration keep a
-- NULL sensor_set (a re-send of them after it adds a row instead of replacing one).
ALTER TABLE {{telemetry}} ADD COLUMN IF NOT EXISTS sensor_set SYMBOL CAPACITY 1024 CACHE;
ALTER TABLE {{telemetry}} DEDUP ENABLE UPSERT KEYS(ts, equipment, sensor_set);
