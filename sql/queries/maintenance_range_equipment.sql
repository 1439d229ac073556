-- One equipment's maintenance events that started before $3 and ended after $2 (or are open).
SELECT ts, equipment, kind, mode, ended_at
FROM {{maintenance}}
WHERE equipment = $1::varchar AND ts < $3::varchar::timestamp AND (ended_at IS NULL OR ended_at >= $2::varchar::timestamp);
