import CanteenDomain
import CanteenService
import Hummingbird
import Logging
import NIOCore

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

/// Builds the whole HTTP application; `canteen serve` and the tests both call it.
public func buildApplication(
    services: CanteenServices,
    configuration: ServerConfiguration = ServerConfiguration(),
    logger: Logger = Logger(label: "canteen.http")
) -> some ApplicationProtocol {
    let router = buildRouter(services: services, logger: logger)
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "canteen"),
        logger: logger
    )
}

/// The routes, without a server: used by `buildApplication` and by router tests.
public func buildRouter(services: CanteenServices, logger: Logger = Logger(label: "canteen.http")) -> Router<AppRequestContext> {
    // HEAD answers like GET, without the body.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: ProblemMiddleware(logger: logger))
    router.add(middleware: TextInputMiddleware())
    router.addRoutes(ServiceController(services: services).routes)
    let v1 = router.group("v1").add(middleware: AuthMiddleware(tokens: services.tokens, limiter: FailedAuthLimiter()))
    SiteController(services: services).addRoutes(to: v1)
    DinerController(services: services).addRoutes(to: v1)
    MealController(services: services).addRoutes(to: v1)
    ClaimController(services: services).addRoutes(to: v1)
    return router
}
