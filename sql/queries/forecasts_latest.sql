-- The latest forecast per equipment for one horizon, with the batch that was running when it was
-- made (ASOF on the batch start; the caller checks ended_at, which ASOF knows nothing of). A
-- walk-forward's out-of-sample history (model_version backtest:...) is history, never the latest.
SELECT f.ts, f.equipment, f.probability, f.rul_h, f.rul_lo_h, f.rul_hi_h, f.model_version, f.health, f.health_driver,
       b.batch_id, b.order_id, b.product, b.ts batch_start, b.ended_at batch_end, b.planned_end batch_planned_end
FROM (SELECT * FROM {{forecasts}} WHERE horizon_h = $1::int AND mode = 'any' AND NOT (model_version LIKE 'backtest:%') LATEST ON ts PARTITION BY equipment) f
ASOF JOIN (SELECT ts, equipment, batch_id, order_id, product, ended_at, planned_end FROM {{batches}} WHERE status IN ('running', 'done', 'aborted')) b
ON (equipment);
