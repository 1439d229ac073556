-- The deliveries of one alert (or every one when $1 is ''), latest first.
SELECT ts, delivery_id, alert_id, target, status, attempts, due_at, updated_at, last_error
FROM {{alert_deliveries}}
WHERE $1::varchar = '' OR alert_id = $1::varchar
ORDER BY ts DESC
LIMIT 1000;
