-- Three costs every meal logged at the counter paid inside PostgreSQL, found with perf while
-- groups of meals were written as the counter writes them (docs/benchmarks.md, "The counter's
-- groups", fourth session). The rules and the stored bytes are unchanged.

-- 1. meal.request_hash was checked with a regular expression, ^[0-9a-f]{64}$: about 10 µs a
-- row, as much as the rest of meal's 21 CHECKs together. The same rule without one: 64
-- characters, none of them other than a lowercase hexadecimal digit.
ALTER TABLE meal
    DROP CONSTRAINT meal_request_hash_is_sha256,
    ADD CONSTRAINT meal_request_hash_is_sha256
        CHECK (length(request_hash) = 64 AND ltrim(request_hash, '0123456789abcdef') = '');

-- 2. audit_row_hash was a PL/pgSQL function called from the audit trigger once per row. As one
-- SQL expression it is inlined into the trigger's own (planned once per session): the same
-- bytes hashed (see 0005), without a function call per row.
CREATE OR REPLACE FUNCTION audit_row_hash(p_id bigint, p_at timestamptz, p_actor text, p_action text, p_entity text,
                                          p_entity_id text, p_detail jsonb, p_prev_hash bytea)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(convert_to(
        octet_length(p_id::text) || ':' || p_id::text || ';' ||
        octet_length(((extract(epoch FROM p_at) * 1000000)::bigint)::text) || ':' ||
            ((extract(epoch FROM p_at) * 1000000)::bigint)::text || ';' ||
        octet_length(p_actor) || ':' || p_actor || ';' ||
        octet_length(p_action) || ':' || p_action || ';' ||
        octet_length(p_entity) || ':' || p_entity || ';' ||
        octet_length(p_entity_id) || ':' || p_entity_id || ';' ||
        octet_length(p_detail::text) || ':' || p_detail::text || ';' ||
        octet_length(coalesce(encode(p_prev_hash, 'hex'), '')) || ':' || coalesce(encode(p_prev_hash, 'hex'), '') || ';',
        'UTF8'))
$$;

-- 3. The chain's head moved at commit through a deferred trigger queued once per audit row (0007),
-- each event a PL/pgSQL call that skipped every row but the last. Now a statement-level trigger
-- moves it once per statement that appends rows, to the last row the transaction appended (the
-- setting the row trigger carries). A rolled-back savepoint takes the statement's move with it,
-- as it takes the rows and the setting.
DROP TRIGGER audit_log_chain_advance ON audit_log;

CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    carried text := current_setting('canteen.audit_last', true);
BEGIN
    IF coalesce(carried, '') <> '' THEN
        UPDATE audit_chain SET last_id = split_part(carried, ':', 2)::bigint, last_hash = decode(split_part(carried, ':', 3), 'hex')
        WHERE chain = split_part(carried, ':', 1)::smallint;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_chain_advance AFTER INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance();
