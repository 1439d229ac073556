-- How many stored values one sensor column holds for one equipment (orphan check on plant changes).
SELECT count({{sensor}}) n FROM {{telemetry}} WHERE equipment = $1::varchar;
