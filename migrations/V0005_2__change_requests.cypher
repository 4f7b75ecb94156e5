// Change requests (R20, graph/review.py): addressed by id, listed per target and by status.
// The unique id makes a retried filing MERGE onto the same request.
CREATE CONSTRAINT change_request_id IF NOT EXISTS FOR (n:ChangeRequest) REQUIRE n.id IS UNIQUE;
CREATE INDEX change_request_target IF NOT EXISTS FOR (n:ChangeRequest) ON (n.targetId, n.status);
CREATE INDEX change_request_status IF NOT EXISTS FOR (n:ChangeRequest) ON (n.status, n.requestedAt);
