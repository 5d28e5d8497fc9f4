-- Diners with their status history, meals, and the claim headers that close a month.

-- A date as the integer YYYYMMDD.
CREATE FUNCTION date_key(d date) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (date_part('year', d) * 10000 + date_part('month', d) * 100 + date_part('day', d))::integer
$$;

-- Completed years on a date: (YYYYMMDD - YYYYMMDD) / 10000. A birthday counts on the day
-- itself, and 29 February birthdays come on 1 March in common years (0228 < 0229).
CREATE FUNCTION age_on(birth date, on_date date) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (date_key(on_date) - date_key(birth)) / 10000
$$;

CREATE TABLE diner (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    resident_id   text NOT NULL CHECK (resident_id ~ '^[0-9]{17}[0-9X]$'),
    sex           text NOT NULL CHECK (sex IN ('M', 'F')),
    birth_date    date NOT NULL CHECK (birth_date >= '1900-01-01'),
    -- YYYYMMDD as an integer: ages in bulk are (day_key - birth_key) / 10000.
    birth_key     integer NOT NULL GENERATED ALWAYS AS (date_key(birth_date)) STORED,
    phone         text CHECK (length(phone) <= 32),
    address       text CHECK (length(address) <= 200),
    community     text CHECK (length(community) <= 64),
    home_site     text REFERENCES site (code),
    card_no       text CHECK (card_no ~ '^[A-Za-z0-9-]{1,32}$'),
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT diner_resident_id_key UNIQUE (resident_id),
    CONSTRAINT diner_card_no_key UNIQUE (card_no)
);

CREATE INDEX diner_home_site_idx ON diner (home_site, id);
CREATE INDEX diner_community_idx ON diner (community, id);

-- The status in force on a date is the row with the latest effective_on on or
-- before it. Registration writes `active` from 1900-01-01, so meals backdated
-- from paper records before the registration day are accepted.
CREATE TABLE diner_status (
    diner_id     bigint NOT NULL REFERENCES diner (id),
    effective_on date NOT NULL,
    status       text NOT NULL CHECK (status IN ('active', 'suspended', 'deceased', 'moved_out')),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text NOT NULL,
    PRIMARY KEY (diner_id, effective_on)
);

-- One claim per site and month; a submitted, approved or paid claim closes the month.
CREATE TABLE claim (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_code       text NOT NULL REFERENCES site (code),
    month           date NOT NULL CHECK (extract(day FROM month) = 1),
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'paid')),
    meals           integer NOT NULL DEFAULT 0,
    diners          integer NOT NULL DEFAULT 0,
    subsidy_fen     bigint NOT NULL DEFAULT 0,
    adjustment_fen  bigint NOT NULL DEFAULT 0,
    total_fen       bigint NOT NULL DEFAULT 0,
    reject_reason   text,
    override_reason text,
    built_at        timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    approved_at     timestamptz,
    rejected_at     timestamptz,
    paid_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claim_site_month_key UNIQUE (site_code, month),
    CHECK (total_fen = subsidy_fen + adjustment_fen)
);

CREATE TABLE meal (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No per-row foreign keys on this high-volume table: they cost more than the rest of a
    -- bulk insert together. Every insert path resolves the diner and the site in the same
    -- statement, and diners and sites can never be deleted (triggers below), so no
    -- reference can dangle.
    diner_id        bigint NOT NULL,
    site_code       text NOT NULL,
    served_on       date NOT NULL,
    slot            text NOT NULL CHECK (slot IN ('breakfast', 'lunch', 'dinner')),
    price_fen       integer NOT NULL CHECK (price_fen BETWEEN 0 AND 100000),
    delivery        boolean NOT NULL DEFAULT false,
    age             integer NOT NULL CHECK (age >= 0),
    bracket         text NOT NULL,
    subsidy_fen     integer NOT NULL CHECK (subsidy_fen >= 0 AND subsidy_fen <= price_fen),
    -- With a daily cap, the k-th subsidised meal of the day (1..cap): unique, so
    -- concurrent meals can never both take the last subsidised place.
    subsidy_seq     smallint CHECK (subsidy_seq BETWEEN 1 AND 3),
    status          text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    request_hash    text,
    claim_id        bigint REFERENCES claim (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL,
    void_reason     text CHECK (length(void_reason) <= 500),
    voided_by       text,
    voided_at       timestamptz,
    CHECK ((status = 'void') = (voided_at IS NOT NULL)),
    CHECK (subsidy_seq IS NULL OR subsidy_fen > 0)
);

CREATE TRIGGER diner_never_deleted BEFORE DELETE ON diner
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER site_never_deleted BEFORE DELETE ON site
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER diner_no_truncate BEFORE TRUNCATE ON diner
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER site_no_truncate BEFORE TRUNCATE ON site
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- One meal per diner, date and slot across all sites: what stops a subsidy being paid twice.
CREATE UNIQUE INDEX meal_one_per_slot ON meal (diner_id, served_on, slot) WHERE status = 'valid';
CREATE UNIQUE INDEX meal_subsidy_seq ON meal (diner_id, served_on, subsidy_seq)
    WHERE status = 'valid' AND subsidy_seq IS NOT NULL;
-- Idempotency keys are scoped to the site and kept as long as the meal (never deleted).
CREATE UNIQUE INDEX meal_idempotency_key ON meal (site_code, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX meal_site_served_idx ON meal (site_code, served_on);

-- Voiding a meal whose month is already claimed: a negative line carried by the next claim of the site.
CREATE TABLE claim_adjustment (
    meal_id     bigint PRIMARY KEY REFERENCES meal (id),
    site_code   text NOT NULL REFERENCES site (code),
    diner_id    bigint NOT NULL REFERENCES diner (id),
    served_on   date NOT NULL,
    subsidy_fen integer NOT NULL CHECK (subsidy_fen < 0),
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    claim_id    bigint REFERENCES claim (id)
);

CREATE INDEX claim_adjustment_open_idx ON claim_adjustment (site_code) WHERE claim_id IS NULL;

-- A month is closed for a site once its claim is submitted (and stays closed unless rejected).
CREATE FUNCTION period_is_closed(p_site text, p_day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM claim
                   WHERE site_code = p_site AND month = date_trunc('month', p_day)::date
                     AND status IN ('submitted', 'approved', 'paid'))
$$;

-- Serialises meal logging against claim submission for one site and month:
-- loggers hold it shared, submission exclusively (see ClaimService).
CREATE FUNCTION period_lock_key(p_site text, p_day date) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT hashtextextended(p_site || '/' || to_char(p_day, 'YYYY-MM'), 0)
$$;

-- Logs one meal: every rule of SPEC §2.8 in one round trip. Expected refusals are
-- answered as rows (outcome 'rejected' / 'duplicate' with the SPEC code), never raised,
-- so a batch can go on with its next item. Each statement takes a fresh snapshot
-- (READ COMMITTED), so after ON CONFLICT the row a concurrent logger committed is visible.
CREATE FUNCTION log_meal(
    p_site text, p_diner_id bigint, p_resident_id text, p_card_no text,
    p_served_on date, p_slot text, p_price integer, p_delivery boolean,
    p_key text, p_fingerprint text, p_actor text, p_today date,
    OUT outcome text, OUT error_code text, OUT detail text, OUT meal_id bigint,
    OUT meal_diner_id bigint, OUT meal_site_code text, OUT meal_served_on date, OUT meal_slot text,
    OUT meal_price_fen integer, OUT meal_delivery boolean, OUT meal_age integer, OUT meal_bracket text,
    OUT meal_subsidy_fen integer, OUT meal_payable_fen integer, OUT meal_status text, OUT meal_claim_id bigint,
    OUT meal_created_at timestamptz, OUT meal_void_reason text, OUT meal_voided_by text, OUT meal_voided_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    s        site%ROWTYPE;
    d        diner%ROWTYPE;
    existing meal%ROWTYPE;
    served   date := coalesce(p_served_on, p_today);
    price    integer;
    years    integer;
    tier     record;
    seq      smallint;
    subsidy  integer;
    new_id   bigint;
    attempt  integer := 0;
BEGIN
<<work>>
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO existing FROM meal WHERE site_code = p_site AND idempotency_key = p_key;
        IF FOUND THEN
            IF existing.request_hash = p_fingerprint THEN
                outcome := 'replayed'; meal_id := existing.id;
            ELSE
                outcome := 'rejected'; error_code := 'idempotency_mismatch'; meal_id := existing.id;
                detail := 'this Idempotency-Key was used for a different meal';
            END IF;
            EXIT work;
        END IF;
    END IF;

    outcome := 'rejected';
    IF served > p_today THEN
        error_code := 'invalid_date'; detail := 'served_on is in the future'; EXIT work;
    END IF;
    SELECT * INTO s FROM site WHERE code = p_site;
    IF NOT FOUND THEN
        error_code := 'not_found'; detail := 'site ' || p_site || ' not found'; EXIT work;
    END IF;
    price := coalesce(p_price, s.default_price_fen);
    IF price IS NULL THEN
        error_code := 'invalid_price'; detail := 'price_fen is required: the site has no default price'; EXIT work;
    END IF;
    IF price < 0 OR price > 100000 THEN
        error_code := 'invalid_price'; detail := 'price_fen must be 0-100000'; EXIT work;
    END IF;
    IF served < s.opens_on OR (s.closes_on IS NOT NULL AND served >= s.closes_on) THEN
        error_code := 'site_not_operating'; detail := 'the site does not operate on ' || served; EXIT work;
    END IF;
    IF NOT (p_slot = ANY (s.slots)) THEN
        error_code := 'site_not_operating'; detail := 'the site does not serve ' || p_slot; EXIT work;
    END IF;

    IF p_diner_id IS NOT NULL THEN
        SELECT * INTO d FROM diner WHERE id = p_diner_id;
    ELSIF p_resident_id IS NOT NULL THEN
        SELECT * INTO d FROM diner WHERE resident_id = p_resident_id;
    ELSE
        SELECT * INTO d FROM diner WHERE card_no = p_card_no;
    END IF;
    IF NOT FOUND THEN
        error_code := 'not_found'; detail := 'diner not found'; EXIT work;
    END IF;
    IF (SELECT ds.status FROM diner_status ds WHERE ds.diner_id = d.id AND ds.effective_on <= served
        ORDER BY ds.effective_on DESC LIMIT 1) IS DISTINCT FROM 'active' THEN
        error_code := 'diner_inactive'; detail := 'the diner is not active on ' || served; EXIT work;
    END IF;

    PERFORM pg_advisory_xact_lock_shared(period_lock_key(p_site, served));
    IF EXISTS (SELECT 1 FROM claim c WHERE c.site_code = p_site AND c.month = date_trunc('month', served)::date
               AND c.status IN ('submitted', 'approved', 'paid')) THEN
        error_code := 'period_closed'; detail := 'the claim for ' || to_char(served, 'YYYY-MM') || ' is already submitted'; EXIT work;
    END IF;

    years := age_on(d.birth_date, served);
    -- The policy in force on the day and the tier holding the age (inline: a SQL function
    -- here would be planned again on every call).
    SELECT p.id AS policy_id, coalesce(t.label, 'none') AS bracket, coalesce(t.subsidy_fen, 0) AS tier_fen,
           p.max_subsidized_meals_per_day AS daily_cap
    INTO tier
    FROM subsidy_policy p
    LEFT JOIN subsidy_tier t ON t.policy_id = p.id AND years >= t.min_age AND (t.max_age IS NULL OR years <= t.max_age)
    WHERE p.effective_from <= served
    ORDER BY p.effective_from DESC
    LIMIT 1;
    LOOP
        attempt := attempt + 1;
        subsidy := least(coalesce(tier.tier_fen, 0), price);
        seq := NULL;
        IF subsidy > 0 AND tier.daily_cap IS NOT NULL THEN
            SELECT min(k) INTO seq FROM generate_series(1, tier.daily_cap) k
            WHERE k NOT IN (SELECT m.subsidy_seq FROM meal m
                            WHERE m.diner_id = d.id AND m.served_on = served AND m.status = 'valid'
                              AND m.subsidy_seq IS NOT NULL);
            IF seq IS NULL THEN subsidy := 0; END IF;
        END IF;

        INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket,
                          subsidy_fen, subsidy_seq, idempotency_key, request_hash, created_by)
        VALUES (d.id, p_site, served, p_slot, price, coalesce(p_delivery, false), years,
                coalesce(tier.bracket, 'none'), subsidy, seq, p_key, p_fingerprint, p_actor)
        ON CONFLICT DO NOTHING
        RETURNING id INTO new_id;

        IF new_id IS NOT NULL THEN
            INSERT INTO audit_log (actor, action, entity, entity_id, detail)
            VALUES (p_actor, 'meal.create', 'meal', new_id::text,
                    jsonb_build_object('site_code', p_site, 'diner_id', d.id, 'served_on', served,
                                       'slot', p_slot, 'price_fen', price, 'subsidy_fen', subsidy));
            outcome := 'created'; error_code := NULL; meal_id := new_id;
            EXIT work;
        END IF;

        -- Someone else won a unique index: find out which one (this statement sees their commit).
        IF p_key IS NOT NULL THEN
            SELECT * INTO existing FROM meal WHERE site_code = p_site AND idempotency_key = p_key;
            IF FOUND THEN
                IF existing.request_hash = p_fingerprint THEN
                    outcome := 'replayed'; error_code := NULL; meal_id := existing.id;
                ELSE
                    error_code := 'idempotency_mismatch'; meal_id := existing.id;
                    detail := 'this Idempotency-Key was used for a different meal';
                END IF;
                EXIT work;
            END IF;
        END IF;
        SELECT * INTO existing FROM meal m
        WHERE m.diner_id = d.id AND m.served_on = served AND m.slot = p_slot AND m.status = 'valid';
        IF FOUND THEN
            outcome := 'duplicate'; error_code := 'duplicate_meal'; meal_id := existing.id;
            detail := 'the diner already has a ' || p_slot || ' meal on ' || served || ' (meal ' || existing.id || ')';
            EXIT work;
        END IF;
        -- Only the daily-cap place was taken concurrently (or the conflicting meal was voided meanwhile): try again.
        IF attempt >= 5 THEN
            RAISE EXCEPTION 'meal insert kept conflicting' USING ERRCODE = 'serialization_failure';
        END IF;
    END LOOP;
END work;
    IF meal_id IS NOT NULL THEN
        -- A fresh statement: sees the row inserted above or committed by a concurrent logger.
        SELECT m.diner_id, m.site_code, m.served_on, m.slot, m.price_fen, m.delivery, m.age, m.bracket,
               m.subsidy_fen, m.price_fen - m.subsidy_fen, m.status, m.claim_id, m.created_at,
               m.void_reason, m.voided_by, m.voided_at
        INTO meal_diner_id, meal_site_code, meal_served_on, meal_slot, meal_price_fen, meal_delivery, meal_age,
             meal_bracket, meal_subsidy_fen, meal_payable_fen, meal_status, meal_claim_id, meal_created_at,
             meal_void_reason, meal_voided_by, meal_voided_at
        FROM meal m WHERE m.id = meal_id;
    END IF;
END
$$;
