// Existing team names become teams without a parent; an admin places them in the hierarchy.
MATCH (u:User) WHERE u.team IS NOT NULL
WITH DISTINCT u.team AS code
MERGE (t:Team {code: code})
ON CREATE SET t.id = randomUUID(), t.name = code, t.version = 1, t.createdAt = datetime(),
  t.updatedAt = datetime();
