import CanteenDomain
import Foundation
import Postgres

/// The hash chain of the audit log (sql/0005_audit_chain.sql): each row stores the SHA-256
/// of its content and of the previous row's hash in its chain. The encoding here is the
/// same byte for byte as `audit_row_hash` in SQL; the verifier recomputes every hash in
/// Swift, so a replaced SQL function cannot vouch for edited rows.
public enum AuditChain {
    /// What one audit row's hash covers.
    public struct Content: Sendable, Equatable {
        public var id: Int
        /// Whole microseconds since 1970-01-01 UTC.
        public var atMicroseconds: Int64
        public var actor: String
        public var action: String
        public var entity: String
        public var entityID: String
        /// The jsonb's canonical text as PostgreSQL prints it.
        public var detail: String
        /// The previous row's hash in lowercase hex, "" for the first row of a chain.
        public var previousHash: String

        public init(id: Int, atMicroseconds: Int64, actor: String, action: String, entity: String, entityID: String,
                    detail: String, previousHash: String) {
            self.id = id
            self.atMicroseconds = atMicroseconds
            self.actor = actor
            self.action = action
            self.entity = entity
            self.entityID = entityID
            self.detail = detail
            self.previousHash = previousHash
        }
    }

    /// Each field as `<octets>:<text>;`, so no two different rows encode alike.
    public static func encoded(_ content: Content) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + content.detail.utf8.count)
        for field in [String(content.id), String(content.atMicroseconds), content.actor, content.action, content.entity,
                      content.entityID, content.detail, content.previousHash] {
            bytes.append(contentsOf: String(field.utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: field.utf8)
            bytes.append(UInt8(ascii: ";"))
        }
        return bytes
    }

    /// The row's hash in lowercase hex.
    public static func hash(_ content: Content) -> String {
        SHA256Hex.of(encoded(content))
    }

    /// Why a link is broken.
    public enum Problem: String, Sendable, Codable {
        /// The row's content no longer matches its stored hash: it was edited.
        case contentChanged = "content_changed"
        /// The row it follows is gone: deleted.
        case previousMissing = "previous_missing"
        /// The row it follows has another hash than the one this row recorded: edited and re-hashed, or replaced.
        case previousChanged = "previous_changed"
        /// Two rows claim the same predecessor (or a chain has two starts): a row was inserted.
        case forked
        /// The chain's recorded last row is gone or differs: rows at its end were deleted or edited.
        case headMismatch = "head_mismatch"
        /// The row is not on its chain between the start and the recorded last row.
        case unlinked

        public var explanation: String {
            switch self {
            case .contentChanged: "its content does not match its hash (edited)"
            case .previousMissing: "the row before it in its chain is missing (deleted)"
            case .previousChanged: "the row before it in its chain has changed (edited or replaced)"
            case .forked: "another row follows the same row (inserted)"
            case .headMismatch: "the last row of the chain is missing or changed"
            case .unlinked: "it is not on its chain (inserted or the chain was cut)"
            }
        }
    }

    public struct Break: Sendable, Codable, Equatable {
        public let id: Int
        public let chain: Int
        public let problem: Problem
        public let message: String
    }

    public struct Verification: Sendable, Codable {
        public let rows: Int
        public let chains: Int
        public let intact: Bool
        /// The lowest-numbered broken row, if any.
        public let firstBroken: Break?
        public let brokenRows: Int
        /// The current last hash of each chain (write them down to detect a wholesale rewrite later).
        public let heads: [Head]

        enum CodingKeys: String, CodingKey {
            case rows, chains, intact, heads
            case firstBroken = "first_broken"
            case brokenRows = "broken_rows"
        }
    }

    public struct Head: Sendable, Codable {
        public let chain: Int
        public let lastID: Int?
        public let lastHash: String?

        enum CodingKeys: String, CodingKey {
            case chain
            case lastID = "last_id"
            case lastHash = "last_hash"
        }
    }
}

extension AuditService {
    static let verifyPageSize = 5_000

    /// Checks the audit log's chains (admin and bureau). Recomputes every row's hash (in pages, so memory stays flat) and checks every link.
    public func verify(by actor: Principal, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws
        -> AuditChain.Verification {
        try actor.require(.admin, .bureau)
        var breaks: [AuditChain.Break] = []
        var rows = 0
        var after = 0
        while true {
            let from = after
            let page = try await db.session { session in
                try session.query("""
                    SELECT id, chain, ((extract(epoch FROM at) * 1000000)::bigint)::text, actor, action, entity, entity_id,
                           detail::text, coalesce(encode(prev_hash, 'hex'), ''), encode(hash, 'hex')
                    FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2
                    """, [from, Self.verifyPageSize]).rows.map { row in
                    (content: AuditChain.Content(
                        id: try row.decode(0), atMicroseconds: Int64(try row.decode(2, as: String.self)) ?? 0,
                        actor: try row.decode(3), action: try row.decode(4), entity: try row.decode(5),
                        entityID: try row.decode(6), detail: try row.decode(7), previousHash: try row.decode(8)),
                     chain: try row.decode(1, as: Int.self), hash: try row.decode(9, as: String.self))
                }
            }
            for row in page where AuditChain.hash(row.content) != row.hash {
                breaks.append(AuditChain.Break(id: row.content.id, chain: row.chain, problem: .contentChanged,
                                               message: AuditChain.Problem.contentChanged.explanation))
            }
            rows += page.count
            progress(rows)
            guard let last = page.last, page.count == Self.verifyPageSize else { break }
            after = last.content.id
        }

        let (links, heads) = try await db.session { session in
            // Links, forks and heads in set-based passes over the whole table.
            let links = try session.query("""
                SELECT a.id, a.chain, CASE WHEN p.id IS NULL THEN 'previous_missing' ELSE 'previous_changed' END
                FROM audit_log a LEFT JOIN audit_log p ON p.id = a.prev_id
                WHERE a.prev_id IS NOT NULL AND (p.id IS NULL OR p.chain <> a.chain OR p.hash <> a.prev_hash)
                UNION ALL
                SELECT a.id, a.chain, 'forked' FROM (
                    SELECT id, chain, count(*) OVER (PARTITION BY chain, prev_id) AS n FROM audit_log
                ) a WHERE a.n > 1
                UNION ALL
                SELECT c.last_id, c.chain, 'head_mismatch'
                FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.last_id
                WHERE c.last_id IS NOT NULL AND (a.id IS NULL OR a.chain <> c.chain OR a.hash <> c.last_hash)
                UNION ALL
                SELECT a.id, a.chain, 'unlinked' FROM audit_log a
                WHERE NOT EXISTS (SELECT 1 FROM audit_log s WHERE s.prev_id = a.id AND s.chain = a.chain)
                  AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.chain = a.chain AND c.last_id = a.id)
                """).rows.map { row -> AuditChain.Break in
                let problem = try AuditChain.Problem(stored: try row.decode(2))
                return AuditChain.Break(id: try row.decode(0), chain: try row.decode(1), problem: problem, message: problem.explanation)
            }
            let heads = try session.query("SELECT chain, last_id, encode(last_hash, 'hex') FROM audit_chain ORDER BY chain").rows.map { row in
                AuditChain.Head(chain: try row.decode(0), lastID: try row.decode(1), lastHash: try row.decode(2))
            }
            return (links, heads)
        }
        breaks += links
        let brokenIDs = Set(breaks.map(\.id))
        // A deleted row also leaves the row before it without a follower ("unlinked"); the
        // deletion itself is reported at the row after it, so unlinked rows come last.
        let telling = breaks.filter { $0.problem != .unlinked }
        let first = (telling.isEmpty ? breaks : telling).min { ($0.id, $0.problem.rawValue) < ($1.id, $1.problem.rawValue) }
        return AuditChain.Verification(rows: rows, chains: heads.filter { $0.lastID != nil }.count, intact: breaks.isEmpty,
                                       firstBroken: first, brokenRows: brokenIDs.count, heads: heads)
    }
}
