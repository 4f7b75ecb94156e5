// Field history (R9, R23, graph/history.py): one (:FieldChange) per changed dynamic field,
// MERGEd on `<audit event id>/<field>` so a retried write records it once, and read per node
// and field, newest first.
CREATE CONSTRAINT field_change_id IF NOT EXISTS FOR (n:FieldChange) REQUIRE n.id IS UNIQUE;
CREATE INDEX field_change_target IF NOT EXISTS FOR (n:FieldChange) ON (n.targetId, n.field, n.at);
// Custom field definitions (R10, graph/customfields.py): one per (kind, key).
CREATE CONSTRAINT custom_field_definition_id IF NOT EXISTS FOR (n:CustomFieldDefinition) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT custom_field_definition_key IF NOT EXISTS FOR (n:CustomFieldDefinition) REQUIRE (n.kind, n.key) IS UNIQUE;
