-- One equipment's readings in [$2, $3), in time order: what the online scorer needs.
SELECT ts, {{sensors}}
FROM {{telemetry}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
ORDER BY ts;
