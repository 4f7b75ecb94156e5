// Personal data (issue 12, graph/privacy.py, graph/crypto.py). ID numbers are encrypted by
// `crm-graph encrypt-ids` (run at start-up too): Cypher cannot encrypt.
CREATE INDEX person_id_number_digest IF NOT EXISTS FOR (n:Person) ON (n.idNumberDigest);
CREATE CONSTRAINT consent_id IF NOT EXISTS FOR (n:Consent) REQUIRE n.id IS UNIQUE;
CREATE INDEX consent_person IF NOT EXISTS FOR (n:Consent) ON (n.personId);
