-- Two SQL-language functions on the meal counter's path could not be inlined (one calls the
-- STABLE to_char, the other has a FROM clause), so PostgreSQL parsed and planned their bodies
-- again on every call: about a third of log_meal's time. The same bodies in PL/pgSQL keep
-- their plans for the session. Same arguments, same results.

CREATE OR REPLACE FUNCTION period_lock_key(p_site text, p_day date) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN hashtextextended(p_site || '/' || to_char(p_day, 'YYYY-MM'), 0);
END
$$;

CREATE OR REPLACE FUNCTION audit_row_hash(p_id bigint, p_at timestamptz, p_actor text, p_action text, p_entity text,
                                          p_entity_id text, p_detail jsonb, p_prev_hash bytea)
RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    at_text   text := ((extract(epoch FROM p_at) * 1000000)::bigint)::text;
    prev_text text := coalesce(encode(p_prev_hash, 'hex'), '');
    detail    text := p_detail::text;
BEGIN
    RETURN sha256(convert_to(
        octet_length(p_id::text) || ':' || p_id::text || ';' ||
        octet_length(at_text) || ':' || at_text || ';' ||
        octet_length(p_actor) || ':' || p_actor || ';' ||
        octet_length(p_action) || ':' || p_action || ';' ||
        octet_length(p_entity) || ':' || p_entity || ';' ||
        octet_length(p_entity_id) || ':' || p_entity_id || ';' ||
        octet_length(detail) || ':' || detail || ';' ||
        octet_length(prev_text) || ':' || prev_text || ';', 'UTF8'));
END
$$;
