-- The equipment with readings in [$1, $2): the per-equipment reads of history (Parquet) ask each.
SELECT DISTINCT equipment FROM {{telemetry}}
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp;
