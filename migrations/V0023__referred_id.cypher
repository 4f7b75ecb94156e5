// REFERRED (a referral, since the records issue) is looked up by its id as every other
// relationship type is (updateLink, endLink, unlink; an import's id check), but had no id
// index: each look-up scanned every REFERRED edge.
CREATE INDEX rel_referred_id IF NOT EXISTS FOR ()-[r:REFERRED]-() ON (r.id);
