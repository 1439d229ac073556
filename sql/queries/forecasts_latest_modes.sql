-- The latest per-mode failure probability of every equipment for one horizon (mode 'any' excluded).
SELECT ts, equipment, mode, probability
FROM {{forecasts}}
WHERE horizon_h = $1::int AND mode != 'any'
LATEST ON ts PARTITION BY equipment, mode;
