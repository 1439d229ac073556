-- When each equipment was first and last observed.
SELECT equipment, min(ts) first_ts, max(ts) last_ts FROM {{telemetry}} GROUP BY equipment;
