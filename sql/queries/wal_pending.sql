-- Tables whose WAL has transactions not yet applied (visible) or that are suspended.
SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = $1::varchar;
