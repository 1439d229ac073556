-- Every reported failure with its mode and the end of its repair.
SELECT ts, equipment, mode, ended_at FROM {{maintenance}} WHERE kind = 'failure' ORDER BY equipment, ts;
