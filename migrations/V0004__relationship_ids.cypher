// Relationships are addressed by their own UUID `id` for update/end/unlink.
CREATE INDEX rel_subsidiary_of_id IF NOT EXISTS FOR ()-[r:SUBSIDIARY_OF]-() ON (r.id);
CREATE INDEX rel_supplies_id IF NOT EXISTS FOR ()-[r:SUPPLIES]-() ON (r.id);
CREATE INDEX rel_distributes_for_id IF NOT EXISTS FOR ()-[r:DISTRIBUTES_FOR]-() ON (r.id);
CREATE INDEX rel_partners_with_id IF NOT EXISTS FOR ()-[r:PARTNERS_WITH]-() ON (r.id);
CREATE INDEX rel_invests_in_id IF NOT EXISTS FOR ()-[r:INVESTS_IN]-() ON (r.id);
CREATE INDEX rel_influences_purchase_id IF NOT EXISTS FOR ()-[r:INFLUENCES_PURCHASE]-() ON (r.id);
CREATE INDEX rel_incumbent_at_id IF NOT EXISTS FOR ()-[r:INCUMBENT_AT]-() ON (r.id);
CREATE INDEX rel_works_at_id IF NOT EXISTS FOR ()-[r:WORKS_AT]-() ON (r.id);
CREATE INDEX rel_reports_to_id IF NOT EXISTS FOR ()-[r:REPORTS_TO]-() ON (r.id);
CREATE INDEX rel_influences_id IF NOT EXISTS FOR ()-[r:INFLUENCES]-() ON (r.id);
CREATE INDEX rel_related_to_id IF NOT EXISTS FOR ()-[r:RELATED_TO]-() ON (r.id);
CREATE INDEX rel_participates_in_id IF NOT EXISTS FOR ()-[r:PARTICIPATES_IN]-() ON (r.id);
CREATE INDEX rel_for_id IF NOT EXISTS FOR ()-[r:FOR]-() ON (r.id);
CREATE INDEX rel_owns_id IF NOT EXISTS FOR ()-[r:OWNS]-() ON (r.id);
CREATE INDEX rel_on_team_id IF NOT EXISTS FOR ()-[r:ON_TEAM]-() ON (r.id);
CREATE INDEX rel_knows_id IF NOT EXISTS FOR ()-[r:KNOWS]-() ON (r.id);
CREATE CONSTRAINT stance_change_id IF NOT EXISTS FOR (n:StanceChange) REQUIRE n.id IS UNIQUE;
CREATE INDEX stance_change_scope IF NOT EXISTS FOR (n:StanceChange) ON (n.projectId, n.personId);
