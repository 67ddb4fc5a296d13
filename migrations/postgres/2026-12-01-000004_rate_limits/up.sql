-- Rate limits shared by every instance on one database (logins, submissions). Keys are keyed
-- hashes (HMAC with a daily key derived from the configured secret_key): never an address or
-- an e-mail address as typed.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    hits INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);
