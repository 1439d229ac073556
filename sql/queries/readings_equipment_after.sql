-- One equipment's readings in ($2, $3], in time order: what arrived since the live window's last refresh.
SELECT ts, {{sensors}}
FROM {{telemetry}}
WHERE equipment = $1::varchar AND ts > $2::varchar::timestamp AND ts <= $3::varchar::timestamp
ORDER BY ts;
