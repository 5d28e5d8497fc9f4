import CanteenDomain
import Logging
import Postgres

/// The service layer's door to PostgreSQL: runs work on the pool and maps
/// database failures to `CanteenError` in one place.
public struct Database: Sendable {
    public let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger = Logger(label: "canteen.db")) {
        self.pool = pool
        self.logger = logger
    }

    /// Runs `body` on a pooled connection, each statement its own transaction (reads, and
    /// writes that are one statement).
    public func session<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        do {
            return try await pool.withSession(body)
        } catch {
            throw mapped(error)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T: Sendable>(plans: PreparedPlans = .automatic,
                                         _ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        do {
            return try await pool.withTransaction(plans: plans, body)
        } catch {
            throw mapped(error)
        }
    }

    /// True when the database answers a trivial query.
    public func isReachable() async -> Bool {
        (try? await pool.withSession { try $0.query("SELECT 1") }) != nil
    }

    func mapped(_ error: any Error) -> any Error {
        switch error {
        case is CanteenError, is CancellationError:
            return error
        case let refusal as Migrator.Refusal:
            return CanteenError(.invalidState, Message(verbatim: refusal.description))
        case let error as PostgresError:
            if let known = ConstraintErrors.canteenError(for: error) { return known }
            switch error.kind {
            case .connection, .poolTimeout, .poolClosed:
                return CanteenError.unavailable()
            default:
                if error.isConnectionFailure { return CanteenError.unavailable() }
                // A failure no check foresaw is the service's fault, never the client's: every
                // input a client can send is checked before it reaches a constraint. Logged with
                // its SQLSTATE and constraint (the description holds no SQL or values).
                logger.error("database failure", metadata: ["error": "\(error)"])
                return CanteenError.internalFailure()
            }
        default:
            logger.error("unexpected failure", metadata: ["type": "\(type(of: error))"])
            return error
        }
    }
}

/// Maps the names of the database's constraints to the SPEC's error codes.
/// The constraints are the guarantee; code usually checks first for a friendlier message.
enum ConstraintErrors {
    static func canteenError(for error: PostgresError) -> CanteenError? {
        guard error.kind == .server, let constraint = error.constraint else { return nil }
        switch (error.sqlState, constraint) {
        case (SQLState.uniqueViolation, "site_pkey"):
            return CanteenError(.duplicateSiteCode, "a site with this code already exists")
        case (SQLState.uniqueViolation, "subsidy_policy_effective_from_key"):
            return .validation([FieldError(field: "effective_from", message: "a policy already starts on this date")])
        case (SQLState.exclusionViolation, "subsidy_tier_no_overlap"):
            return .validation([FieldError(field: "tiers", message: "tiers overlap")])
        case (SQLState.uniqueViolation, "diner_resident_id_key"):
            return CanteenError(.duplicateResidentID, "a diner with this resident ID is already registered")
        case (SQLState.uniqueViolation, "diner_card_no_key"):
            return CanteenError(.duplicateCardNo, "this card number already belongs to another diner")
        case (SQLState.exclusionViolation, "diner_category_no_overlap"):
            return .validation([FieldError(field: "effective_on", message: "overlaps another period of the same category")])
        case (SQLState.checkViolation, "diner_category_end_once"):
            return CanteenError(.invalidState, "this category period has already ended")
        case (SQLState.foreignKeyViolation, "diner_home_site_fkey"):
            return .validation([FieldError(field: "home_site", message: "no such site")])
        default:
            return nil
        }
    }
}

extension ClaimStatus {
    /// `periodClosing` as the `text[]` parameter every "is this month closed?" query takes.
    static let periodClosingParameter = TextArray(periodClosing.map(\.rawValue))
}
