-- Rows in one table ({{table}}: a validated identifier, the ingestion target), e.g. before and
-- after an ingest to tell new rows from rows already stored.
SELECT count() AS n FROM {{table}};
