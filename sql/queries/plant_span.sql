-- Where the simulated plant's stored history starts (its equipment records carry the start) and ends.
SELECT * FROM
  (SELECT min(updated_at) first FROM {{equipment}})
  CROSS JOIN (SELECT max(ts) last FROM {{telemetry}});
