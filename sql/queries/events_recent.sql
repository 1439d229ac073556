-- Data events (stale equipment, silent sensors) that began at or after $1, newest first.
SELECT ts, equipment, kind, sensor, detail, detected_at
FROM {{events}}
WHERE ts >= $1::varchar::timestamp
ORDER BY ts DESC;
