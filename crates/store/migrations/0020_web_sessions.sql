-- Web sign-in: a password (argon2id PHC string) and an optional TOTP second factor per user,
-- browser sessions with their CSRF secret, failed sign-ins (throttling), and one-time
-- password-reset links. Sessions and reset links are stored as SHA-256 of their secret only.

ALTER TABLE users ADD COLUMN password_hash TEXT;
-- The TOTP secret, sealed with the vault (key id and ciphertext); enabled once confirmed.
ALTER TABLE users ADD COLUMN totp_key_id TEXT;
ALTER TABLE users ADD COLUMN totp_sealed TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
-- The last TOTP time step accepted: a code is good once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- An email signs in one user at most (among those with a password).
CREATE UNIQUE INDEX users_login_email ON users (LOWER(email)) WHERE password_hash IS NOT NULL;

CREATE TABLE web_sessions (
    id_hash        TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id),
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    csrf           TEXT NOT NULL,
    -- 'FULL', or 'TOTP' while the second factor is still owed (nothing but /login/totp).
    stage          TEXT NOT NULL CHECK (stage IN ('FULL','TOTP')),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE login_failures (
    login   TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX login_failures_login ON login_failures (login, at);

CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
