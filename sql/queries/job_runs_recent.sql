-- The latest job runs, newest first; $1 is a job name or '' for all jobs, $2 the row limit.
SELECT ts, job, status, ended_at, rows, detail, error, host
FROM {{job_runs}}
WHERE $1::varchar = '' OR job = $1::varchar
ORDER BY ts DESC
LIMIT $2::int;
