-- Canteen sites, the effective-dated subsidy policy, and the append-only audit log.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE site (
    code              text PRIMARY KEY CHECK (code ~ '^[A-Z0-9-]{2,32}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    kind              text NOT NULL CHECK (kind IN ('community_center', 'enterprise', 'village', 'other')),
    street            text NOT NULL CHECK (length(street) BETWEEN 1 AND 64),
    community         text CHECK (length(community) <= 64),
    address           text CHECK (length(address) <= 200),
    operator          text CHECK (length(operator) <= 64),
    phone             text CHECK (length(phone) <= 32),
    opens_on          date NOT NULL,
    closes_on         date CHECK (closes_on >= opens_on),
    slots             text[] NOT NULL DEFAULT '{lunch}'
                      CHECK (cardinality(slots) BETWEEN 1 AND 3 AND slots <@ ARRAY['breakfast', 'lunch', 'dinner']),
    default_price_fen integer CHECK (default_price_fen BETWEEN 0 AND 100000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX site_street_idx ON site (street, code);

-- A policy is data, effective-dated; the one in force on a date is the latest
-- effective_from on or before it. Policies are never edited: a change is a new policy.
CREATE TABLE subsidy_policy (
    id                           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    effective_from               date NOT NULL,
    max_subsidized_meals_per_day integer CHECK (max_subsidized_meals_per_day BETWEEN 1 AND 3),
    created_at                   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subsidy_policy_effective_from_key UNIQUE (effective_from)
);

CREATE TABLE subsidy_tier (
    policy_id   bigint NOT NULL REFERENCES subsidy_policy (id),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 16 AND label <> 'none'),
    min_age     integer NOT NULL CHECK (min_age BETWEEN 0 AND 150),
    max_age     integer CHECK (max_age BETWEEN min_age AND 150),
    subsidy_fen integer NOT NULL CHECK (subsidy_fen BETWEEN 0 AND 100000),
    PRIMARY KEY (policy_id, label),
    -- Tiers of one policy never overlap (max_age NULL = no upper bound).
    CONSTRAINT subsidy_tier_no_overlap
        EXCLUDE USING gist (policy_id WITH =, int4range(min_age, max_age, '[]') WITH &&)
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never updated or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER subsidy_policy_immutable BEFORE UPDATE OR DELETE ON subsidy_policy
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER subsidy_tier_immutable BEFORE UPDATE OR DELETE ON subsidy_tier
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The default policy of SPEC §2.5: 70–79 get 2 yuan, 80 and over 4 yuan, no daily cap.
WITH policy AS (
    INSERT INTO subsidy_policy (effective_from, max_subsidized_meals_per_day)
    VALUES ('2022-09-01', NULL)
    RETURNING id
)
INSERT INTO subsidy_tier (policy_id, label, min_age, max_age, subsidy_fen)
SELECT policy.id, tier.label, tier.min_age, tier.max_age, tier.subsidy_fen
FROM policy, (VALUES ('70-79', 70, 79, 200), ('80+', 80, NULL::integer, 400))
    AS tier (label, min_age, max_age, subsidy_fen);

-- Every change writes one row here, in the same transaction as the change.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL,
    entity    text NOT NULL CHECK (entity IN ('site', 'diner', 'policy', 'meal', 'claim', 'token')),
    entity_id text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
