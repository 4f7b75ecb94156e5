// Existing keys keep working: each `apiKeyHash` on a :User moves to an :ApiKey node linked to
// it, with an audit event. The key itself was never stored, so its display prefix stays
// unknown. MERGE on the hash makes a retried run land on the same node.
MATCH (u:User) WHERE u.apiKeyHash IS NOT NULL
MERGE (k:ApiKey {hash: u.apiKeyHash})
  ON CREATE SET k.id = randomUUID(), k.name = 'migrated', k.createdAt = datetime(),
    k.createdBy = 'migration:V0006'
MERGE (u)-[:HAS_KEY]->(k)
CREATE (:AuditEvent {id: randomUUID(), at: datetime(), actor: 'migration:V0006',
  action: 'apiKey.migrate', targetId: k.id, targetLabel: 'ApiKey', fields: ['userId'],
  requestId: 'migration'})
REMOVE u.apiKeyHash;
