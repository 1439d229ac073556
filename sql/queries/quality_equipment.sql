-- One equipment's quality measurements in [$2, $3), oldest first.
SELECT ts, batch_id, characteristic, value, lsl, usl
FROM {{quality}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
ORDER BY ts;
