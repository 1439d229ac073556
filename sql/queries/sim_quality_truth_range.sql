-- The simulator's true quality drift per finished batch in [$1, $2) (ground truth for backtests only).
SELECT ts, equipment, batch_id, characteristic, true_mean, time_to_limit_h
FROM {{sim_quality_truth}}
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
ORDER BY ts;
