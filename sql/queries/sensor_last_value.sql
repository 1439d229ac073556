-- When one equipment's sensor {{sensor}} last had a value in [$2, $3).
SELECT max(ts) last_ts
FROM {{telemetry}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp AND {{sensor}} IS NOT NULL;
