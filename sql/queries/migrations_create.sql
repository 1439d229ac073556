-- Bookkeeping of applied migrations. Not WAL: a row is visible as soon as it is inserted.
CREATE TABLE IF NOT EXISTS {{migrations}} (
  applied_at TIMESTAMP,
  id INT,
  name VARCHAR,
  checksum VARCHAR
) TIMESTAMP(applied_at) PARTITION BY NONE BYPASS WAL;
