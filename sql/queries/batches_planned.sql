-- Planned batches starting in [$1, $2), in order per equipment: what a maintenance window must fit
-- around (planned_end: when the plan has them end; ended_at of rows written before it existed).
SELECT ts, equipment, batch_id, order_id, product, coalesce(planned_end, ended_at) planned_end
FROM {{batches}}
WHERE status = 'planned' AND ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp
ORDER BY equipment, ts;
