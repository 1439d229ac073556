-- Every quality measurement in [$1, $2), oldest first.
SELECT ts, equipment, batch_id, characteristic, value, lsl, usl
FROM {{quality}}
WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
ORDER BY ts;
