-- A bureau token may be limited to streets (SPEC §2.11): a street office (街道办) sees and acts on
-- the sites of its streets only. Tokens also remember when they were last used (to the
-- authentication cache's lifetime), so an administrator can tell a stale token.
ALTER TABLE api_token
    ADD COLUMN streets      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN last_used_at timestamptz,
    ADD CONSTRAINT api_token_streets_only_bureau CHECK (role = 'bureau' OR streets = '{}'),
    ADD CONSTRAINT api_token_streets_named CHECK (array_position(streets, NULL) IS NULL AND cardinality(streets) <= 50);
