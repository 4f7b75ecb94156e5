// Duplicate candidates (R22, graph/duplicates.py): one node per pair, its id made from the
// label and the sorted id pair; the queue reads by label and status, a merge drops the
// candidates naming the merged record by `a` or `b`.
CREATE CONSTRAINT duplicate_candidate_id IF NOT EXISTS FOR (n:DuplicateCandidate) REQUIRE n.id IS UNIQUE;
CREATE INDEX duplicate_candidate_queue IF NOT EXISTS FOR (n:DuplicateCandidate) ON (n.label, n.status);
CREATE INDEX duplicate_candidate_a IF NOT EXISTS FOR (n:DuplicateCandidate) ON (n.a);
CREATE INDEX duplicate_candidate_b IF NOT EXISTS FOR (n:DuplicateCandidate) ON (n.b);
// Exact-key look-ups of incoming rows against existing records (likely_duplicates).
CREATE INDEX company_credit_code IF NOT EXISTS FOR (n:Company) ON (n.unifiedSocialCreditCode);
CREATE INDEX company_phone IF NOT EXISTS FOR (n:Company) ON (n.phone);
CREATE INDEX person_mobile IF NOT EXISTS FOR (n:Person) ON (n.mobile);
CREATE INDEX person_email IF NOT EXISTS FOR (n:Person) ON (n.email);
