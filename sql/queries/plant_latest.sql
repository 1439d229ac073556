-- The plant in force: the latest applied version.
SELECT version, sha256, name, document, ts FROM {{plant_versions}} ORDER BY version DESC LIMIT 1;
