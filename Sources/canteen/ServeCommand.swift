import ArgumentParser
import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

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

    @Option(help: "Threads that move the connections' bytes (default: half the cores, at least 1).")
    var eventLoops: Int?

    func validate() throws {
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 second") }
        if let eventLoops, !(1...System.coreCount * 4).contains(eventLoops) {
            throw ValidationError("--event-loops must be 1 to \(System.coreCount * 4) (4 per core)")
        }
    }

    /// Half the cores: the event loops only read and write sockets and parse HTTP; the handlers
    /// run on Swift's concurrency pool (a thread per core) and the database calls on the pool's
    /// connection threads. A thread per core for NIO as well left more threads than cores taking
    /// turns: on two cores, one event loop logged more meals a second at the counter's peak
    /// (docs/decisions.md, "Event loops").
    static var defaultEventLoops: Int { max(1, System.coreCount / 2) }

    func run() async throws {
        let output = Output(json: options.json)
        do {
            var logger = Logger(label: "canteen")
            logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            let services = try CanteenServices.open(url: try DatabaseLocator.url(flag: options.databaseURL), role: .server(poolSize: poolSize),
                                                    clock: try BusinessClock.fromEnvironment(), logger: logger)
            do {
                let migrations = try services.migrations(in: try ProjectFiles.migrationsFolder())
                if migrate {
                    _ = try await migrations.migrate()
                } else {
                    let pending = try await migrations.status().filter { $0.state == .pending }
                    if !pending.isEmpty {
                        throw CanteenError(.invalidState, "\(pending.count) migration(s) pending; run `canteen db migrate` or pass --migrate")
                    }
                }
            } catch {
                await services.db.pool.close()
                throw error
            }
            // The pool is a service of the application's group: it closes after the server has
            // stopped, however the server stops.
            let loops = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops ?? Self.defaultEventLoops)
            let app = buildApplication(services: services, configuration: ServerConfiguration(host: host, port: port, idleTimeout: .seconds(idleTimeout)),
                                       logger: logger, attached: [services.poolService], eventLoops: .shared(loops))
            do {
                try await app.runService()
            } catch {
                try? await loops.shutdownGracefully()
                throw error
            }
            try await loops.shutdownGracefully()
        } catch {
            throw output.fail(error)
        }
    }
}
