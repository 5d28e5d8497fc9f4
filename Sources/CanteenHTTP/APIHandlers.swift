import CanteenAPI
import CanteenDomain
import CanteenService

/// The API as `openapi.yaml` defines it: each operation is a method of the generated
/// `APIProtocol`, so a route, a parameter, a status or a field that drifts from the document is
/// a build error. Each area's operations live in their own file (`API+Sites.swift` …); each
/// turns the generated input into a service call and the answer into the generated output,
/// through `CanteenWire`. Failures are thrown, and answered once, by `ProblemMiddleware`.
struct APIHandlers: APIProtocol {
    let services: CanteenServices
}

/// A list's page from its `limit` and `cursor` parameters.
func page(_ limit: Int?, _ cursor: String?) throws -> PageRequest {
    try PageRequest(limit: limit, cursor: cursor?.nonEmpty)
}

extension String {
    /// nil for an empty query value: `?street=` filters nothing, as if it were absent.
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// A positive id from a path; anything else is `invalid_request`.
func positiveID(_ id: Int, _ name: String = "id") throws -> Int {
    guard id > 0 else { throw CanteenError.invalidRequest("\(name) must be a positive integer", field: name) }
    return id
}

