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
-- (and a rejection, which reopens the month, may clear the frozen lines). Checked once per
-- statement over the rows it touched, so rebuilding a draft of 100,000 lines stays cheap.
CREATE FUNCTION claim_line_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_lines l JOIN claim c ON c.id = l.claim_id
               WHERE c.status IN ('submitted', 'approved', 'paid')) THEN
        RAISE EXCEPTION 'the lines of a submitted claim are frozen' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER claim_line_frozen_insert AFTER INSERT ON claim_line
    REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION claim_line_frozen();
CREATE TRIGGER claim_line_frozen_update AFTER UPDATE ON claim_line
    REFERENCING OLD TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION claim_line_frozen();
CREATE TRIGGER claim_line_frozen_delete AFTER DELETE ON claim_line
    REFERENCING OLD TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION claim_line_frozen();
