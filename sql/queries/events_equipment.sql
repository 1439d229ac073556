-- One equipment's data events (stale, silent sensors) that began in [$2, $3).
SELECT ts, kind, sensor, detail, detected_at
FROM {{events}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
ORDER BY ts;
