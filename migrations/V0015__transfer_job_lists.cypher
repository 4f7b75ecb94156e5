// GET /transfer/jobs (graph/transfer_jobs.py LIST_JOBS): a viewer's own jobs, newest first.
CREATE INDEX transfer_job_creator IF NOT EXISTS FOR (n:TransferJob) ON (n.createdBy, n.createdAt);
