-- Batches that ran to the end in [$1, $2): their durations give a product's typical length on an
-- equipment, for batches whose plan gives no end.
SELECT equipment, product, ts, ended_at
FROM {{batches}}
WHERE status = 'done' AND ended_at IS NOT NULL AND ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp;
