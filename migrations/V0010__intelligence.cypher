// Customer intelligence (R15-R17, graph/intelligence.py): the scoring run reads customers by
// id in batches, lists rank and filter by the scores it writes, and snapshots are listed per
// customer newest first.
CREATE INDEX customer_id IF NOT EXISTS FOR (n:Customer) ON (n.id);
CREATE INDEX customer_value IF NOT EXISTS FOR (n:Customer) ON (n.valueScore);
CREATE INDEX customer_churn_risk IF NOT EXISTS FOR (n:Customer) ON (n.churnRisk);
CREATE INDEX customer_churn_level IF NOT EXISTS FOR (n:Customer) ON (n.churnLevel);
CREATE CONSTRAINT score_snapshot_id IF NOT EXISTS FOR (n:ScoreSnapshot) REQUIRE n.id IS UNIQUE;
CREATE INDEX score_snapshot_customer IF NOT EXISTS FOR (n:ScoreSnapshot) ON (n.customerId, n.scoredAt);
CREATE CONSTRAINT scoring_run_id IF NOT EXISTS FOR (n:ScoringRun) REQUIRE n.id IS UNIQUE;
CREATE INDEX scoring_run_started IF NOT EXISTS FOR (n:ScoringRun) ON (n.startedAt);
CREATE CONSTRAINT job_lock_name IF NOT EXISTS FOR (n:JobLock) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT scoring_model_id IF NOT EXISTS FOR (n:ScoringModel) REQUIRE n.id IS UNIQUE;
CREATE INDEX field_change_field IF NOT EXISTS FOR (n:FieldChange) ON (n.field, n.at);
