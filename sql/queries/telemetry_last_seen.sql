-- Each equipment's latest reading time (LATEST ON reads backwards from the newest partition).
SELECT equipment, ts last_ts FROM {{telemetry}} LATEST ON ts PARTITION BY equipment;
