SELECT id, name, checksum FROM {{migrations}} ORDER BY id;
