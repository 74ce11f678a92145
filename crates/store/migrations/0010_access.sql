-- Access management: users can be disabled and bound to an OIDC identity; API tokens get a
-- public id, a name, a scope (the role they act with), an expiry, last use and revocation;
-- OIDC sign-ins in flight keep their state, nonce and PKCE verifier here (single use).

ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN oidc_issuer TEXT;
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_identity ON users (oidc_issuer, oidc_subject);
CREATE INDEX users_org ON users (org_id, id);

ALTER TABLE api_tokens ADD COLUMN id TEXT;
ALTER TABLE api_tokens ADD COLUMN scope TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
-- Existing tokens: an id derived from the stored hash (public, and reveals nothing of the
-- token), the user's role as scope, no expiry.
UPDATE api_tokens SET id = 'tok_' || substr(token_hash, 1, 32),
    scope = (SELECT u.role FROM users u WHERE u.id = api_tokens.user_id);
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE oidc_logins (
    state       TEXT PRIMARY KEY,
    nonce       TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
