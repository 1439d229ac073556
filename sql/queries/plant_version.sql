-- One applied version of the plant.
SELECT version, sha256, name, document, ts FROM {{plant_versions}} WHERE version = $1::int;
