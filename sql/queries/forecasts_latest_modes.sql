-- The latest per-mode failure probability of every equipment for one horizon (mode 'any' excluded),
-- at or before $2 (the latest any-mode forecast read: a later score run is not mixed in).
SELECT ts, equipment, mode, probability
FROM {{forecasts}}
WHERE horizon_h = $1::int AND mode != 'any' AND ts <= $2::varchar::timestamp
LATEST ON ts PARTITION BY equipment, mode;
