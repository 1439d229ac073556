-- Every equipment's readings since $1 (the freshness check's window).
SELECT ts, equipment, {{sensors}}
FROM {{telemetry}}
WHERE ts >= $1::varchar::timestamp
ORDER BY ts;
