// API keys become their own nodes (issue 12): a user may hold several, each with an expiry,
// and a key can be revoked without touching the user. Authentication looks keys up by hash;
// OpenID Connect maps a token's subject to a user.
CREATE CONSTRAINT api_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT api_key_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.hash IS UNIQUE;
CREATE INDEX user_oidc_subject IF NOT EXISTS FOR (n:User) ON (n.oidcSubject);
CREATE INDEX user_email IF NOT EXISTS FOR (n:User) ON (n.email);
