// Classification (R14, graph/classification.py): rules, the classes they assign, reviews and
// their changes, each addressed by id. The review walks customers in id order on the
// `customer_id` index of V0010__intelligence.
CREATE CONSTRAINT classification_rule_id IF NOT EXISTS FOR (n:ClassificationRule) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT customer_class_id IF NOT EXISTS FOR (n:CustomerClass) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT classification_review_id IF NOT EXISTS FOR (n:ClassificationReview) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT classification_change_id IF NOT EXISTS FOR (n:ClassificationChange) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT classification_lock_name IF NOT EXISTS FOR (n:ClassificationLock) REQUIRE n.name IS UNIQUE;
CREATE INDEX classification_review_started IF NOT EXISTS FOR (n:ClassificationReview) ON (n.startedAt);
CREATE INDEX classification_change_seq IF NOT EXISTS FOR (n:ClassificationChange) ON (n.seq);
