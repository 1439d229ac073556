-- One equipment's readings in [$2, $3) bucketed in QuestDB: bucket k covers
-- [$4 + k * $5, $4 + (k + 1) * $5) (epoch microseconds), with each sensor's count of values, sum,
-- minimum, maximum and sum of squares, and the bucket's row count. Buckets without rows are absent.
SELECT (cast(ts AS long) - $4::long) / $5::long AS bucket, count() AS rows_n, {{sensors|bucket_stats}}
FROM {{telemetry}}
WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp
GROUP BY bucket
ORDER BY bucket;
