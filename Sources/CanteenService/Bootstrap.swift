import CanteenDomain
import Foundation
import Logging
import Postgres
import ServiceLifecycle

/// Who is starting the services: the server (a pool sized to the cores, short waits) or one
/// command of the CLI (a small pool, patient waits behind a busy server).
public enum ServiceRole: Sendable {
    case server(poolSize: Int?)
    case commandLine

    var applicationName: String {
        switch self {
        case .server: "canteen-serve"
        case .commandLine: "canteen-cli"
        }
    }
}

extension CanteenServices {
    /// The one way `canteen serve` and every command open the database: the pool configured for
    /// `role` with the service's session settings, and every service over it. A malformed URL is
    /// `unavailable` with libpq's reason; nothing connects until the first statement.
    public static func open(url: String, role: ServiceRole, clock: BusinessClock, logger: Logger) throws -> CanteenServices {
        var configuration: PostgresConfiguration
        switch role {
        case .server(let poolSize):
            configuration = PostgresConfiguration(connectionString: url, applicationName: role.applicationName,
                                                  settings: connectionSettings(clock: clock))
            if let poolSize { configuration.maxConnections = max(1, poolSize) }
            configuration.acquireTimeout = .seconds(5)
            // libpq waits this long for each host of a multi-host URL: two hosts answer within 5 s.
            configuration.connectTimeoutSeconds = 2
        case .commandLine:
            configuration = PostgresConfiguration(connectionString: url, maxConnections: 4, applicationName: role.applicationName,
                                                  settings: connectionSettings(clock: clock))
            configuration.acquireTimeout = .seconds(30)
        }
        do {
            try configuration.validate()
        } catch let error as PostgresError {
            throw CanteenError(.unavailable, "the database URL is not valid: \(error)")
        }
        return CanteenServices(pool: PostgresPool(configuration), clock: clock, logger: logger)
    }

    /// Closes the pool when the service group shuts down (after the HTTP server has stopped).
    public var poolService: some Service { PoolService(pool: db.pool) }

    /// The schema's migrations in `directory`, applied and listed through the service layer.
    public func migrations(in directory: URL) throws -> MigrationService {
        do {
            return MigrationService(db: db, migrator: try Migrator(directory: directory))
        } catch {
            throw db.mapped(error)
        }
    }
}

/// The pool as a service of the server's group: it lives until shutdown, then closes.
struct PoolService: Service {
    let pool: PostgresPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.close()
    }
}

/// Applying and listing migrations, with failures mapped like every other service's.
public struct MigrationService: Sendable {
    let db: Database
    let migrator: Migrator

    /// Applies every pending migration in order; answers those applied now.
    public func migrate() async throws -> [Migrator.Migration] {
        do {
            return try await migrator.migrate(db.pool)
        } catch let error as PostgresError where error.kind == .server {
            // A migration's own SQL failed: whoever runs it needs PostgreSQL's reason.
            throw CanteenError(.internal, "a migration failed and was rolled back: \(error)")
        } catch {
            throw db.mapped(error)
        }
    }

    public func status() async throws -> [Migrator.Status] {
        do { return try await migrator.status(db.pool) } catch { throw db.mapped(error) }
    }
}
