-- One meal engine (issue 12): whether a meal is accepted and what it is subsidised is decided
-- once, in Swift (`MealLedger`), for the quote, the counter, a batch and an import alike. The
-- database keeps the facts and the guarantees — the unique indexes (one meal per diner, date
-- and slot; the daily-cap place; the idempotency key), the CHECKs, the never-delete triggers
-- and the period lock — and no copy of the rules.

DROP FUNCTION log_meal(text, bigint, text, text, date, text, integer, boolean, text, text, text, date);
-- Which statuses close a month is `ClaimStatus.periodClosing`, passed to every query that asks.
DROP FUNCTION period_is_closed(text, date);

-- The service keeps sites and policies in memory. Any change to them moves this version in the
-- same transaction; every group of meals reads it with its other facts and reloads the
-- catalogue when it moved, so a change made by another process is seen by the next meal.
CREATE TABLE catalog_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL
);
INSERT INTO catalog_version (version) VALUES (1);
CREATE TRIGGER catalog_version_no_truncate BEFORE TRUNCATE ON catalog_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER site_changes_catalog AFTER INSERT OR UPDATE OR DELETE ON site
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER subsidy_policy_changes_catalog AFTER INSERT OR UPDATE OR DELETE ON subsidy_policy
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER subsidy_tier_changes_catalog AFTER INSERT OR UPDATE OR DELETE ON subsidy_tier
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
