-- Batches that actually ran (not the plan) and overlap [$1, $2).
SELECT ts, equipment, batch_id, product, recipe, load, ended_at
FROM {{batches}}
WHERE status IN ('running', 'done', 'aborted')
  AND ts < $2::varchar::timestamp AND (ended_at IS NULL OR ended_at >= $1::varchar::timestamp);
