-- Records an applied plant version.
INSERT INTO {{plant_versions}} (ts, version, sha256, name, document, note)
VALUES ($1::varchar::timestamp, $2::int, $3::varchar, $4::varchar, $5::varchar, $6::varchar);
