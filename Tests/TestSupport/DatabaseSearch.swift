import Postgres

extension TestDatabase {
    /// The tables (of every schema but the system's) holding a row whose text form — every
    /// column, JSON and arrays included — contains `text`. For checks that a secret or a full
    /// resident ID is stored nowhere it should not be.
    public static func tablesHolding(_ text: String, _ session: Session) throws -> [String] {
        try session.query("""
            SELECT n.nspname || '.' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
              AND (xpath('/row/n/text()', query_to_xml(
                       format('SELECT count(*) AS n FROM %I.%I t WHERE strpos(t::text, %L) > 0', n.nspname, c.relname, $1::text),
                       false, true, '')))[1]::text::int > 0
            ORDER BY 1
            """, [text]).rows.map { try $0.decode(0) }
    }
}
