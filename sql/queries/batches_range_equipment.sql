-- One equipment's batches that actually ran (not the plan) and overlap [$2, $3).
SELECT ts, equipment, batch_id, product, recipe, load, ended_at
FROM {{batches}}
WHERE equipment = $1::varchar AND status IN ('running', 'done', 'aborted')
  AND ts < $3::varchar::timestamp AND (ended_at IS NULL OR ended_at >= $2::varchar::timestamp);
