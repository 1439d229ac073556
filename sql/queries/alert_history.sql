-- One alert's every change, oldest first: its audit trail.
SELECT ts, alert_id, change, state, equipment, line, cause, tier, top_tier, group_id, opened_at,
       until, value, reason, model_version, order_id, batch_id, product, actor, note
FROM {{alerts}}
WHERE alert_id = $1::varchar
ORDER BY ts;
