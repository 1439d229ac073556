-- Deliveries not yet delivered nor given up (the outbox a restarted deliverer resumes).
SELECT ts, delivery_id, alert_id, target, status, attempts, due_at, updated_at, last_error, payload
FROM {{alert_deliveries}}
WHERE status = 'pending';
