import CanteenDomain
import Foundation
import Hummingbird

/// The request context of every route. Authentication (a later layer) narrows it to a principal.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// SPEC §3: a body over 1 MiB is `payload_too_large`.
    public var maxUploadSize: Int { 1 << 20 }

    public var responseEncoder: JSONEncoder { JSONCoding.encoder() }
    public var requestDecoder: JSONDecoder { JSONCoding.decoder() }
}
