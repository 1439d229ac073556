-- Ten-minute buckets in [$2, $3) in which one equipment reported: how much history it has, by
-- coverage (a stray old reading counts ten minutes, not the whole time since).
SELECT count() buckets FROM (
  SELECT ts, count() n FROM {{telemetry}}
  WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
  SAMPLE BY 10m
);
