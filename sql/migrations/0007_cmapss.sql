-- NASA C-MAPSS run-to-failure data as ingested by `pdm ingest --format cmapss`: one row per unit
-- (equipment) and cycle. ts is synthetic (start + cycle x cycle length) so the set fits a time
-- series store; cycle keeps the original count. dataset is the file's name (train_FD001, ...).
CREATE TABLE IF NOT EXISTS {{cmapss}} (
  ts TIMESTAMP,
  dataset SYMBOL,
  equipment SYMBOL CAPACITY 1024 CACHE,
  cycle INT,
  setting1 DOUBLE, setting2 DOUBLE, setting3 DOUBLE,
  s1 DOUBLE, s2 DOUBLE, s3 DOUBLE, s4 DOUBLE, s5 DOUBLE, s6 DOUBLE, s7 DOUBLE,
  s8 DOUBLE, s9 DOUBLE, s10 DOUBLE, s11 DOUBLE, s12 DOUBLE, s13 DOUBLE, s14 DOUBLE,
  s15 DOUBLE, s16 DOUBLE, s17 DOUBLE, s18 DOUBLE, s19 DOUBLE, s20 DOUBLE, s21 DOUBLE
) TIMESTAMP(ts) PARTITION BY YEAR WAL
DEDUP UPSERT KEYS(ts, dataset, equipment);
