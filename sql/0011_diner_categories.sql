-- SPEC §2.12: a diner holds a hardship category (困难类别) for periods, from effective_on up to
-- the day before ends_on (null: open). A period is never deleted: it is ended once, by giving it
-- an ends_on. Two periods of one category of one diner never overlap: the exclusion constraint
-- is the guarantee under concurrency (the service checks first, for a message naming the period).

CREATE TABLE diner_category (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    diner_id     bigint NOT NULL REFERENCES diner (id),
    category     text NOT NULL CHECK (category IN ('dibao', 'tekun', 'low_income', 'disabled', 'youfu')),
    effective_on date NOT NULL CHECK (effective_on >= '1900-01-01'),
    ends_on      date CHECK (ends_on > effective_on),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text NOT NULL,
    ended_at     timestamptz,
    ended_by     text,
    CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
    CONSTRAINT diner_category_no_overlap
        EXCLUDE USING gist (diner_id WITH =, category WITH =, daterange(effective_on, ends_on) WITH &&)
);

CREATE INDEX diner_category_diner_idx ON diner_category (diner_id, effective_on, id);

-- The only change a period takes: an open period gets its end, once.
CREATE FUNCTION diner_category_end_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.ends_on IS NOT NULL OR NEW.ends_on IS NULL
       OR (NEW.id, NEW.diner_id, NEW.category, NEW.effective_on, NEW.recorded_at, NEW.recorded_by)
          IS DISTINCT FROM (OLD.id, OLD.diner_id, OLD.category, OLD.effective_on, OLD.recorded_at, OLD.recorded_by) THEN
        RAISE EXCEPTION 'a category period only takes its end, once' USING ERRCODE = 'check_violation',
            CONSTRAINT = 'diner_category_end_once';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER diner_category_end_once BEFORE UPDATE ON diner_category
    FOR EACH ROW EXECUTE FUNCTION diner_category_end_once();
CREATE TRIGGER diner_category_never_deleted BEFORE DELETE ON diner_category
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER diner_category_no_truncate BEFORE TRUNCATE ON diner_category
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
