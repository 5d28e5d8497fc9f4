-- The chain's head moved by 0018's statement trigger came from the setting the row trigger carries
-- (`canteen.audit_last`), which any session can also set: a forged value and an INSERT of no rows
-- moved a head to whatever it named. Now the head moves to a row the statement itself appended,
-- read from its transition table: per chain, the appended row that no other appended row names as
-- its predecessor (the end of what the statement added; ids are not trusted to give the order,
-- since COPY or OVERRIDING SYSTEM VALUE can set them). A statement that appends nothing moves
-- nothing, and a rolled-back savepoint takes the move with it, as it takes the rows.
CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chain c SET last_id = a.id, last_hash = a.hash
    FROM (SELECT DISTINCT ON (chain) chain, id, hash FROM appended e
          WHERE NOT EXISTS (SELECT 1 FROM appended n WHERE n.chain = e.chain AND n.prev_id = e.id)
          ORDER BY chain, id DESC) a
    WHERE c.chain = a.chain;
    RETURN NULL;
END
$$;

DROP TRIGGER audit_log_chain_advance ON audit_log;
CREATE TRIGGER audit_log_chain_advance AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_advance();
