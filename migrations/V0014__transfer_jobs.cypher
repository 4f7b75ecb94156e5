// Import and export jobs over HTTP (issue 15, graph/transfer_jobs.py): by id, and the worker's
// look-up of the jobs to run (RUNNING, then QUEUED, oldest first).
CREATE CONSTRAINT transfer_job_id IF NOT EXISTS FOR (n:TransferJob) REQUIRE n.id IS UNIQUE;
CREATE INDEX transfer_job_status IF NOT EXISTS FOR (n:TransferJob) ON (n.status, n.createdAt);
