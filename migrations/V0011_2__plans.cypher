// Sales plans (R25, graph/plans.py): one plan per (period, dimension, target, currency), its id
// made from that key; a period's plans are read by period and dimension.
CREATE CONSTRAINT sales_plan_id IF NOT EXISTS FOR (n:SalesPlan) REQUIRE n.id IS UNIQUE;
CREATE INDEX sales_plan_period IF NOT EXISTS FOR (n:SalesPlan) ON (n.period, n.dimension);
// Team knowledge (R27, graph/knowledge.py): records marked :Knowledge, searched by their title,
// tags and text; the cjk analyzer indexes Chinese as bigrams, Latin text by words.
CREATE FULLTEXT INDEX knowledge_notes IF NOT EXISTS
FOR (n:Knowledge) ON EACH [n.knowledgeTitle, n.knowledgeText, n.subject, n.notes, n.agreement, n.resolution]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: false}};
