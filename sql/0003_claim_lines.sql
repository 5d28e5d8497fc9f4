-- The contents of monthly subsidy claims: per-diner lines (one per bracket), the
-- pre-claim checks, and the link from adjustments to the claim that carries them.

CREATE TABLE claim_line (
    claim_id           bigint NOT NULL REFERENCES claim (id),
    diner_id           bigint NOT NULL REFERENCES diner (id),
    bracket            text NOT NULL,
    name               text NOT NULL,
    resident_id_masked text NOT NULL,
    meals              integer NOT NULL CHECK (meals > 0),
    subsidy_fen        bigint NOT NULL CHECK (subsidy_fen >= 0),
    PRIMARY KEY (claim_id, diner_id, bracket)
);

ALTER TABLE claim ADD COLUMN checks jsonb NOT NULL DEFAULT '[]';

CREATE INDEX meal_claim_idx ON meal (claim_id) WHERE claim_id IS NOT NULL;
CREATE INDEX claim_adjustment_claim_idx ON claim_adjustment (claim_id) WHERE claim_id IS NOT NULL;
CREATE INDEX claim_month_idx ON claim (month, site_code);

-- Frozen claims never change: once submitted, only the status and its timestamps move on
-- (and a rejection, which reopens the month, may clear the frozen lines).
CREATE FUNCTION claim_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    claim_status text;
BEGIN
    SELECT status INTO claim_status FROM claim WHERE id = coalesce(NEW.claim_id, OLD.claim_id);
    IF claim_status IN ('submitted', 'approved', 'paid') THEN
        RAISE EXCEPTION 'the lines of a % claim are frozen', claim_status USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;

CREATE TRIGGER claim_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON claim_line
    FOR EACH ROW EXECUTE FUNCTION claim_line_frozen();
