-- Records a job run (status running at its start; ok or failed, upserted on the same key, at its end).
INSERT INTO {{job_runs}} (ts, job, status, ended_at, rows, detail, error, host)
VALUES ($1::varchar::timestamp, $2::varchar, $3::varchar, $4::varchar::timestamp, $5::long, $6::varchar, $7::varchar, $8::varchar);
