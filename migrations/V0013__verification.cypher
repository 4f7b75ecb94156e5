// Channel verification (graph/verification.py): a record's checks are read by its id.
CREATE CONSTRAINT verification_id IF NOT EXISTS FOR (n:Verification) REQUIRE n.id IS UNIQUE;
CREATE INDEX verification_target_id IF NOT EXISTS FOR (n:Verification) ON (n.targetId);
