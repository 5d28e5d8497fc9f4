import CanteenDomain
import CanteenService
import Hummingbird
import Logging

/// Where the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
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
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "canteen"),
        logger: logger
    )
}

/// The routes, without a server: used by `buildApplication` and by router tests.
public func buildRouter(services: CanteenServices, logger: Logger = Logger(label: "canteen.http")) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: ProblemMiddleware(logger: logger))
    router.addRoutes(ServiceController(services: services).routes)
    let v1 = router.group("v1").add(middleware: AuthMiddleware(tokens: services.tokens, limiter: FailedAuthLimiter()))
    SiteController(services: services).addRoutes(to: v1)
    DinerController(services: services).addRoutes(to: v1)
    MealController(services: services).addRoutes(to: v1)
    ClaimController(services: services).addRoutes(to: v1)
    return router
}
