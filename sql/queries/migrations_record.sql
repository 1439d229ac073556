INSERT INTO {{migrations}} (applied_at, id, name, checksum) VALUES (now(), $1::int, $2::varchar, $3::varchar);
