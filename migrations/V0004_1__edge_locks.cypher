// One lock node per acyclic relationship type (SUBSIDIARY_OF, REPORTS_TO). Writes to those
// hierarchies take it inside their transaction, so acyclicity checks cannot race. The unique
// constraint makes the first MERGE of each lock node safe under concurrency.
CREATE CONSTRAINT edge_lock_type IF NOT EXISTS FOR (n:__EdgeLock) REQUIRE n.type IS UNIQUE;
