// Every node is addressed by a UUID `id`, never by Neo4j's internal element id.
CREATE CONSTRAINT company_id IF NOT EXISTS FOR (n:Company) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT interaction_id IF NOT EXISTS FOR (n:Interaction) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (n:AuditEvent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT merged_id IF NOT EXISTS FOR (n:MergedId) REQUIRE n.id IS UNIQUE;
// Integrators upsert by (source system, external id): unique per source.
CREATE CONSTRAINT company_external IF NOT EXISTS FOR (n:Company) REQUIRE (n.externalSource, n.externalId) IS UNIQUE;
CREATE CONSTRAINT person_external IF NOT EXISTS FOR (n:Person) REQUIRE (n.externalSource, n.externalId) IS UNIQUE;
CREATE CONSTRAINT project_external IF NOT EXISTS FOR (n:Project) REQUIRE (n.externalSource, n.externalId) IS UNIQUE;
CREATE CONSTRAINT user_external IF NOT EXISTS FOR (n:User) REQUIRE (n.externalSource, n.externalId) IS UNIQUE;
CREATE CONSTRAINT customer_code IF NOT EXISTS FOR (n:Customer) REQUIRE n.customerCode IS UNIQUE;
CREATE CONSTRAINT user_api_key IF NOT EXISTS FOR (n:User) REQUIRE n.apiKeyHash IS UNIQUE;
