-- The audit log is hash-chained: every row stores the SHA-256 of its own content together
-- with the hash of the row before it in its chain, so editing, deleting or inserting a row
-- behind the service's back breaks a link that `canteen audit verify` finds.
--
-- One chain would make every audited change (every logged meal) wait for the previous one
-- to commit. Instead there are 16 chains and a transaction appends to the chain numbered
-- by its transaction id modulo 16: all rows of one transaction go to one chain (so two
-- transactions can never wait on each other's chain heads in opposite orders), and
-- consecutive transactions spread over all chains. The head row of a chain is locked from
-- the append until commit, which keeps each chain a single line even under concurrency.

CREATE TABLE audit_chain (
    chain     smallint PRIMARY KEY CHECK (chain BETWEEN 0 AND 15),
    last_id   bigint,
    last_hash bytea,
    CHECK ((last_id IS NULL) = (last_hash IS NULL))
) WITH (fillfactor = 20);

INSERT INTO audit_chain (chain) SELECT generate_series(0, 15);

ALTER TABLE audit_log
    ADD COLUMN chain     smallint,
    ADD COLUMN prev_id   bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;

-- The hashed content: each field as "<octets>:<text>;" so no two rows encode alike. The
-- time is whole microseconds since 1970 (independent of the session's time zone), the
-- detail jsonb's own canonical text, the previous hash in lowercase hex ("" for the first
-- row of a chain). `AuditChain.contentHash` in Swift encodes exactly the same bytes.
CREATE FUNCTION audit_row_hash(p_id bigint, p_at timestamptz, p_actor text, p_action text, p_entity text,
                               p_entity_id text, p_detail jsonb, p_prev_hash bytea)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(convert_to(
        octet_length(p_id::text) || ':' || p_id::text || ';' ||
        octet_length(m.t) || ':' || m.t || ';' ||
        octet_length(p_actor) || ':' || p_actor || ';' ||
        octet_length(p_action) || ':' || p_action || ';' ||
        octet_length(p_entity) || ':' || p_entity || ';' ||
        octet_length(p_entity_id) || ':' || p_entity_id || ';' ||
        octet_length(p_detail::text) || ':' || p_detail::text || ';' ||
        octet_length(h.t) || ':' || h.t || ';', 'UTF8'))
    FROM (SELECT ((extract(epoch FROM p_at) * 1000000)::bigint)::text AS t) m,
         (SELECT coalesce(encode(p_prev_hash, 'hex'), '') AS t) h
$$;

-- Rows written before this migration become the start of chain 0, in id order.
DO $$
DECLARE
    r record;
    v_last_id bigint;
    v_last_hash bytea;
    h bytea;
BEGIN
    ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        h := audit_row_hash(r.id, r.at, r.actor, r.action, r.entity, r.entity_id, r.detail, v_last_hash);
        UPDATE audit_log SET chain = 0, prev_id = v_last_id, prev_hash = v_last_hash, hash = h WHERE id = r.id;
        v_last_id := r.id;
        v_last_hash := h;
    END LOOP;
    IF v_last_id IS NOT NULL THEN
        UPDATE audit_chain SET last_id = v_last_id, last_hash = v_last_hash WHERE chain = 0;
    END IF;
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
END
$$;

ALTER TABLE audit_log
    ALTER COLUMN chain SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ADD CHECK (chain BETWEEN 0 AND 15),
    ADD CHECK ((prev_id IS NULL) = (prev_hash IS NULL));

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_chain;
BEGIN
    NEW.chain := (pg_current_xact_id()::text::bigint % 16)::smallint;
    SELECT * INTO head FROM audit_chain WHERE chain = NEW.chain FOR UPDATE;
    NEW.prev_id := head.last_id;
    NEW.prev_hash := head.last_hash;
    NEW.hash := audit_row_hash(NEW.id, NEW.at, NEW.actor, NEW.action, NEW.entity, NEW.entity_id, NEW.detail, NEW.prev_hash);
    UPDATE audit_chain SET last_id = NEW.id, last_hash = NEW.hash WHERE chain = NEW.chain;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The heads move only through the trigger above.
CREATE FUNCTION audit_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'audit_chain rows move only when an audit row is appended'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER audit_chain_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_guard();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
