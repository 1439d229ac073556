-- The ISA-95 hierarchy, one row per version of an equipment's record: the latest row per
-- equipment (LATEST ON updated_at PARTITION BY equipment) is its current place in the plant.
CREATE TABLE IF NOT EXISTS {{equipment}} (
  updated_at TIMESTAMP,
  equipment SYMBOL CAPACITY 4096 CACHE,
  site SYMBOL,
  area SYMBOL,
  line SYMBOL,
  cell SYMBOL,
  equipment_class SYMBOL,
  name VARCHAR,
  installed_at TIMESTAMP
) TIMESTAMP(updated_at) PARTITION BY YEAR WAL
DEDUP UPSERT KEYS(updated_at, equipment);
