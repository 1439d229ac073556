-- Every alert's latest row (its state), changed at or after $1.
SELECT * FROM (
  SELECT ts, alert_id, change, state, equipment, line, cause, tier, top_tier, group_id, opened_at,
         until, value, reason, model_version, order_id, batch_id, product, actor, note
  FROM {{alerts}}
  LATEST ON ts PARTITION BY alert_id
) WHERE ts >= $1::varchar::timestamp
ORDER BY ts DESC;
