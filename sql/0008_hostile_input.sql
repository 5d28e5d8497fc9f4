-- Hostile input (issue 11).
--
-- 1. `meal.request_hash` held the canonical request verbatim, and with it the diner's full
--    resident ID when the request named one (SPEC §2.3: the diner record alone holds it).
--    It now holds the SHA-256 (hex) of that canonical text. The service hashes the same text
--    the same way, so hashing the stored rows keeps every earlier key replaying.
-- 2. A meal served before the diner was born broke the `age >= 0` CHECK and failed its whole
--    group; log_meal now answers it as `invalid_date`, like every other refusal, as a row.
--    Like a future date, it is a date no meal can have, so it is checked before the site's
--    days and slots: the diner is resolved right after the site and the price.

-- 3. A draft bound every open adjustment when it was built, so a draft for a month before the
--    site opened could park them. Now a draft only shows the open adjustments of earlier months;
--    submission binds them. Adjustments held by drafts go back to open.
UPDATE claim_adjustment SET claim_id = NULL
WHERE claim_id IN (SELECT id FROM claim WHERE status IN ('draft', 'rejected'));

UPDATE meal SET request_hash = encode(sha256(convert_to(request_hash, 'UTF8')), 'hex')
WHERE request_hash IS NOT NULL;

ALTER TABLE meal ADD CONSTRAINT meal_request_hash_is_sha256 CHECK (request_hash ~ '^[0-9a-f]{64}$');

CREATE OR REPLACE FUNCTION log_meal(
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
    IF served < d.birth_date THEN
        error_code := 'invalid_date'; detail := 'served_on ' || served || ' is before the diner''s birth date'; EXIT work;
    END IF;
    IF served < s.opens_on OR (s.closes_on IS NOT NULL AND served >= s.closes_on) THEN
        error_code := 'site_not_operating'; detail := 'the site does not operate on ' || served; EXIT work;
    END IF;
    IF NOT (p_slot = ANY (s.slots)) THEN
        error_code := 'site_not_operating'; detail := 'the site does not serve ' || p_slot; EXIT work;
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
