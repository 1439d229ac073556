-- Every applied plant file (the asset model: classes, sensors, modes, quality, equipment), as a
-- new version: the canonical JSON document, its sha256 (an unchanged file adds no version) and
-- what the apply did. The latest version is the plant in force.
CREATE TABLE IF NOT EXISTS {{plant_versions}} (
  ts TIMESTAMP,
  version INT,
  sha256 VARCHAR,
  name VARCHAR,
  document VARCHAR,
  note VARCHAR
) TIMESTAMP(ts) PARTITION BY YEAR WAL
DEDUP UPSERT KEYS(ts, version);
