// Range indexes behind the list filters and sort orders.
CREATE INDEX company_name IF NOT EXISTS FOR (n:Company) ON (n.name);
CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name);
CREATE INDEX project_name IF NOT EXISTS FOR (n:Project) ON (n.name);
CREATE INDEX company_updated IF NOT EXISTS FOR (n:Company) ON (n.updatedAt);
CREATE INDEX person_updated IF NOT EXISTS FOR (n:Person) ON (n.updatedAt);
CREATE INDEX project_updated IF NOT EXISTS FOR (n:Project) ON (n.updatedAt);
CREATE INDEX company_industry IF NOT EXISTS FOR (n:Company) ON (n.industry);
CREATE INDEX customer_stage IF NOT EXISTS FOR (n:Customer) ON (n.lifecycleStage);
CREATE INDEX customer_tier IF NOT EXISTS FOR (n:Customer) ON (n.tier);
CREATE INDEX audit_target IF NOT EXISTS FOR (n:AuditEvent) ON (n.targetId, n.at);
CREATE TEXT INDEX company_name_text IF NOT EXISTS FOR (n:Company) ON (n.name);
CREATE TEXT INDEX person_name_text IF NOT EXISTS FOR (n:Person) ON (n.name);
