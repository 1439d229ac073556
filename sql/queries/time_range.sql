-- First and last reading time in the telemetry table.
SELECT min(ts) first_ts, max(ts) last_ts, count() readings FROM {{telemetry}};
