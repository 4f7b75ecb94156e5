// writesOfRequest looks audit events up by the request that wrote them (a client whose write
// got no answer checks there before sending it again): without an index, every event scanned.
CREATE INDEX audit_request IF NOT EXISTS FOR (n:AuditEvent) ON (n.requestId);
