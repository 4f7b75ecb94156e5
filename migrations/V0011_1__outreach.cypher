// Outreach (R26, graph/outreach.py): templates and jobs by id; one message per job and
// recipient (its key), listed per job and state, and found by state when the runner recovers;
// the outbox by id and newest first.
CREATE CONSTRAINT message_template_id IF NOT EXISTS FOR (n:MessageTemplate) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT outreach_job_id IF NOT EXISTS FOR (n:OutreachJob) REQUIRE n.id IS UNIQUE;
CREATE INDEX outreach_job_status IF NOT EXISTS FOR (n:OutreachJob) ON (n.status, n.createdAt);
CREATE CONSTRAINT outreach_message_id IF NOT EXISTS FOR (n:OutreachMessage) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT outreach_message_key IF NOT EXISTS FOR (n:OutreachMessage) REQUIRE n.key IS UNIQUE;
CREATE INDEX outreach_message_job IF NOT EXISTS FOR (n:OutreachMessage) ON (n.jobId, n.status);
CREATE INDEX outreach_message_status IF NOT EXISTS FOR (n:OutreachMessage) ON (n.status);
CREATE CONSTRAINT outbox_entry_id IF NOT EXISTS FOR (n:OutboxEntry) REQUIRE n.id IS UNIQUE;
CREATE INDEX outbox_entry_at IF NOT EXISTS FOR (n:OutboxEntry) ON (n.at);
