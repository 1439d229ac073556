-- Maintenance events (all kinds) that started before $2 and ended after $1 (or are still open).
SELECT ts, equipment, kind, mode, ended_at
FROM {{maintenance}}
WHERE ts < $2::varchar::timestamp AND (ended_at IS NULL OR ended_at >= $1::varchar::timestamp);
