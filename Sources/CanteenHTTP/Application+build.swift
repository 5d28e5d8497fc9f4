import CanteenDomain
import CanteenService
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import OpenAPIRuntime

/// Where the server listens, and how long it waits for a client.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// A connection with no request in progress for this long is closed: an idle keep-alive
    /// connection, and a client still sending a request's head (or a body stalled for as
    /// long), which no request can need on a counter's network. See docs/decisions.md.
    public var idleTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, idleTimeout: Duration = .seconds(10)) {
        self.host = host
        self.port = port
        self.idleTimeout = idleTimeout
    }
}

/// Builds the whole HTTP application; `canteen serve` and the tests both call it. `attached`
/// services run in the application's group and stop after the server (the pool, for its owner).
/// `eventLoops` moves the connections' bytes (NIO's shared group, a thread per core, unless the
/// caller passes one of its own: `canteen serve` does, see `ServeCommand.defaultEventLoops`).
public func buildApplication(
    services: CanteenServices,
    configuration: ServerConfiguration = ServerConfiguration(),
    logger: Logger = .quiet,
    attached: [any Service] = [],
    eventLoops: EventLoopGroupProvider = .singleton
) -> some ApplicationProtocol {
    let router = buildRouter(services: services, logger: logger)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "canteen"),
        services: attached,
        eventLoopGroupProvider: eventLoops,
        logger: logger
    )
}

/// The routes, without a server: used by `buildApplication` and by router tests.
public func buildRouter(services: CanteenServices, logger: Logger = .quiet) -> Router<AppRequestContext> {
    // HEAD answers like GET, without the body.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: ProblemMiddleware(logger: logger))
    router.add(middleware: TextInputMiddleware())
    // Every /v1 route: the bearer token is checked once, and the context narrowed to its principal.
    let v1 = router.group("v1")
        .add(middleware: AuthMiddleware(tokens: services.tokens, limiter: FailedAuthLimiter()))
        .group(context: AuthenticatedContext.self)
        .add(middleware: CallerMiddleware())
    // Every operation of the contract, registered by the generated server.
    do {
        try APIHandlers(services: services).registerHandlers(on: ContractRoutes(router: router, v1: v1), configuration: .contract)
    } catch {
        // Registration fails only for a path the router cannot take: the contract's own fault.
        preconditionFailure("openapi.yaml has a path the router cannot register: \(error)")
    }
    return router
}

extension Configuration {
    /// Compact JSON, keys in order, `/` unescaped: the same bytes the CLI's `--json` prints.
    static let contract = Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}

extension Logger {
    /// Warnings and errors only: the default for an application built without a logger (the
    /// tests); `canteen serve` passes its own, at `LOG_LEVEL` (info by default).
    public static var quiet: Logger {
        var logger = Logger(label: "canteen.http")
        logger.logLevel = .warning
        return logger
    }
}
