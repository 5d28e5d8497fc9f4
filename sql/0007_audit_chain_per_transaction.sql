-- The audit chain's head moves once per transaction instead of once per row. The first audit
-- row of a transaction locks its chain's head (until commit) and links to it; every further
-- row of the transaction links to the row before it, which the transaction carries in a
-- transaction-local setting; at commit a deferred trigger moves the head to the last row.
-- Group commit (many meals, so many audit rows, per transaction) no longer updates the head
-- row once per meal. A rolled-back savepoint takes its rows and the setting's change with it.

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head    audit_chain;
    carried text := current_setting('canteen.audit_last', true);
BEGIN
    IF coalesce(carried, '') = '' THEN
        NEW.chain := (pg_current_xact_id()::text::bigint % 16)::smallint;
        SELECT * INTO head FROM audit_chain WHERE chain = NEW.chain FOR UPDATE;
        NEW.prev_id := head.last_id;
        NEW.prev_hash := head.last_hash;
    ELSE
        NEW.chain := split_part(carried, ':', 1)::smallint;
        NEW.prev_id := split_part(carried, ':', 2)::bigint;
        NEW.prev_hash := decode(split_part(carried, ':', 3), 'hex');
    END IF;
    NEW.hash := audit_row_hash(NEW.id, NEW.at, NEW.actor, NEW.action, NEW.entity, NEW.entity_id, NEW.detail, NEW.prev_hash);
    PERFORM set_config('canteen.audit_last', NEW.chain || ':' || NEW.id || ':' || encode(NEW.hash, 'hex'), true);
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF split_part(current_setting('canteen.audit_last', true), ':', 2) = NEW.id::text THEN
        UPDATE audit_chain SET last_id = NEW.id, last_hash = NEW.hash WHERE chain = NEW.chain;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_log_chain_advance AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_advance();
