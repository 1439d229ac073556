-- Readings of the given sensors in [$1, $2), grouped by equipment and in time order, as the
-- feature kernels want them. {{sensors}} is a validated column list from a feature set.
SELECT ts, equipment, {{sensors}}
FROM {{telemetry}}
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
ORDER BY equipment, ts;
