import ArgumentParser
import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import Logging
import Postgres

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Flag(help: "Apply pending migrations before serving (otherwise pending migrations stop the start).")
    var migrate = false

    @Option(help: "Seconds a connection may wait with no request in progress (idle keep-alive, or a head still being sent) before it is closed.")
    var idleTimeout: Int = 10

    @Option(help: "Database connections in the pool (default: the number of cores, at least 2).")
    var poolSize: Int?

    func validate() throws {
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
    }

    func run() async throws {
        let output = Output(json: options.json)
        do {
            let url = try DatabaseLocator.url(flag: options.databaseURL)
            let clock = try BusinessClock.fromEnvironment()
            var configuration = PostgresConfiguration(connectionString: url, applicationName: "canteen-serve",
                                                      settings: CanteenServices.connectionSettings(clock: clock))
            if let poolSize { configuration.maxConnections = max(1, poolSize) }
            configuration.acquireTimeout = .seconds(5)
            configuration.connectTimeoutSeconds = 3
            try configuration.validate()
            let pool = PostgresPool(configuration)
            let migrator = try Migrator(directory: try ProjectFiles.migrationsFolder())
            if migrate {
                try await migrator.migrate(pool)
            } else {
                let pending = try await migrator.status(pool).filter { $0.state == .pending }
                if !pending.isEmpty {
                    throw CanteenError(.invalidState, "\(pending.count) migration(s) pending; run `canteen db migrate` or pass --migrate")
                }
            }
            var logger = Logger(label: "canteen")
            logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let services = CanteenServices(pool: pool, clock: clock, logger: logger)
            let app = buildApplication(services: services, configuration: ServerConfiguration(host: host, port: port, idleTimeout: .seconds(idleTimeout)), logger: logger)
            try await app.runService()
            await pool.close()
        } catch {
            throw output.fail(error)
        }
    }
}
