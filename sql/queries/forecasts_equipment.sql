-- One equipment's forecasts in [$2, $3), oldest first (the failure probability and RUL over time).
SELECT ts, mode, horizon_h, probability, rul_h, rul_lo_h, rul_hi_h, model_version, health
FROM {{forecasts}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
ORDER BY ts;
