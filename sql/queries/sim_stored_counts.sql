-- What QuestDB holds for one simulated time range: readings, failures, finished batches, orders.
-- $1, $2: the range [start, end) as ISO text. (QuestDB has no scalar subqueries: cross-join counts.)
SELECT * FROM
  (SELECT count() readings FROM {{telemetry}} WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp)
  CROSS JOIN (SELECT count() failures FROM {{maintenance}} WHERE kind = 'failure' AND ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp)
  CROSS JOIN (SELECT count() batches FROM {{batches}} WHERE status IN ('done', 'aborted') AND ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp)
  CROSS JOIN (SELECT count() orders FROM {{orders}} WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp);
