-- API tokens: stored only as SHA-256 hashes of the random secret, never the secret itself.
CREATE TABLE api_token (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    role        text NOT NULL CHECK (role IN ('admin', 'bureau', 'operator')),
    site_codes  text[] NOT NULL DEFAULT '{}',
    token_hash  text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT api_token_hash_key UNIQUE (token_hash),
    CHECK (role = 'operator' OR site_codes = '{}')
);
