-- Planned batches starting in [$1, $2), in order per equipment: what a maintenance window must fit around.
SELECT ts, equipment, batch_id, order_id, product, ended_at
FROM {{batches}}
WHERE status = 'planned' AND ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
ORDER BY equipment, ts;
