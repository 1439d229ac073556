-- Alerts as an audit trail: one row per change of an alert (opened, escalated, acknowledged,
-- resolved, suppressed), with who made it and when; an alert's state is its latest row. The row
-- carries what it was raised on: the forecast's value and model version, and the MES context.
CREATE TABLE IF NOT EXISTS {{alerts}} (
  ts TIMESTAMP,
  alert_id SYMBOL,
  change SYMBOL,
  state SYMBOL,
  equipment SYMBOL,
  line SYMBOL,
  cause SYMBOL,
  tier SYMBOL,
  top_tier SYMBOL,
  group_id SYMBOL,
  opened_at TIMESTAMP,
  until TIMESTAMP,
  value DOUBLE,
  reason STRING,
  model_version SYMBOL,
  order_id STRING,
  batch_id STRING,
  product SYMBOL,
  actor STRING,
  note STRING
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, alert_id, change);

-- The delivery outbox: one row per message to a receiver (webhook, CMMS work order), keyed by
-- when it was queued and its id (the receiver's idempotency key); attempts rewrite the same row.
-- Pending rows are read back at start, so a receiver that was down gets everything when it returns.
CREATE TABLE IF NOT EXISTS {{alert_deliveries}} (
  ts TIMESTAMP,
  delivery_id SYMBOL,
  alert_id SYMBOL,
  target SYMBOL,
  status SYMBOL,
  attempts INT,
  due_at TIMESTAMP,
  updated_at TIMESTAMP,
  last_error STRING,
  payload STRING
) TIMESTAMP(ts) PARTITION BY MONTH WAL
DEDUP UPSERT KEYS(ts, delivery_id);
