-- A claim's history (SPEC §2.9): every build, rebuild and transition, with the rejection's reason,
-- the approval's comment and the payment's voucher number and date. Rows are only appended, so a
-- rejection's reason survives the rebuilds that follow it.
CREATE TABLE claim_event (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id  bigint NOT NULL REFERENCES claim (id),
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL CHECK (action IN ('build', 'rebuild', 'submit', 'approve', 'reject', 'pay')),
    reason    text CHECK (length(reason) BETWEEN 1 AND 500),
    comment   text CHECK (length(comment) BETWEEN 1 AND 500),
    reference text CHECK (length(reference) BETWEEN 1 AND 64),
    paid_on   date,
    CHECK (action = 'pay' OR (reference IS NULL AND paid_on IS NULL)),
    CHECK (action = 'approve' OR comment IS NULL),
    CHECK (action IN ('reject', 'submit') OR reason IS NULL)
);
CREATE INDEX claim_event_claim_idx ON claim_event (claim_id, id);
CREATE TRIGGER claim_event_append_only BEFORE UPDATE OR DELETE ON claim_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER claim_event_no_truncate BEFORE TRUNCATE ON claim_event
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The payment as the claim shows it and the form prints it.
ALTER TABLE claim
    ADD COLUMN approval_comment  text CHECK (length(approval_comment) BETWEEN 1 AND 500),
    ADD COLUMN payment_reference text CHECK (length(payment_reference) BETWEEN 1 AND 64),
    ADD COLUMN paid_on           date,
    ADD CHECK (status = 'paid' OR (payment_reference IS NULL AND paid_on IS NULL));

-- The history so far, from the audit log (which recorded every build and transition).
INSERT INTO claim_event (claim_id, at, actor, action, reason)
SELECT entity_id::bigint, at, actor, substr(action, 7), CASE WHEN action IN ('claim.reject', 'claim.submit') THEN nullif(detail ->> 'reason', '') END
FROM audit_log
WHERE entity = 'claim' AND action IN ('claim.build', 'claim.rebuild', 'claim.submit', 'claim.approve', 'claim.reject', 'claim.pay')
  AND entity_id ~ '^[0-9]+$' AND entity_id::bigint IN (SELECT id FROM claim)
ORDER BY id;
UPDATE claim SET paid_on = (paid_at AT TIME ZONE current_setting('TimeZone'))::date WHERE status = 'paid';
