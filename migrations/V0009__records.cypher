// Records over time (R11-R13, graph/records.py): addressed by id, upserted by their source
// key, listed per customer through ABOUT edges and in time order.
CREATE CONSTRAINT record_id IF NOT EXISTS FOR (n:Record) REQUIRE n.id IS UNIQUE;
// kind, externalSource and externalId joined: one record per source id and kind.
CREATE CONSTRAINT record_external_key IF NOT EXISTS FOR (n:Record) REQUIRE n.extKey IS UNIQUE;
CREATE INDEX record_occurred IF NOT EXISTS FOR (n:Record) ON (n.occurredAt);
CREATE CONSTRAINT follow_up_id IF NOT EXISTS FOR (n:FollowUp) REQUIRE n.id IS UNIQUE;
CREATE INDEX follow_up_due IF NOT EXISTS FOR (n:FollowUp) ON (n.status, n.dueAt);
CREATE CONSTRAINT product_id IF NOT EXISTS FOR (n:Product) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT product_sku IF NOT EXISTS FOR (n:Product) REQUIRE n.sku IS UNIQUE;
