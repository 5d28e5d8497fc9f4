import CanteenAPI
import CanteenDomain
import Foundation
import HTTPTypes
import Yams

/// The path and query parameters each operation of `openapi.yaml` declares, read from the
/// document itself when the routes are registered. SPEC §3: a query parameter a route does not
/// know is `invalid_request` naming it (a filter is never silently ignored); a parameter of the
/// wrong type, outside its enum or missing is `invalid_request` naming it too. The generated
/// server decodes parameters without saying which one failed, so they are checked here first.
struct ContractParameters: Sendable {
    struct Parameter: Sendable {
        enum Location: String, Sendable {
            case path, query
        }

        let name: String
        let location: Location
        let required: Bool
        let isInteger: Bool
        /// The values an enum allows; nil for any.
        let allowed: [String]?
    }

    /// By operation, `"GET /v1/meals/{id}"`.
    let operations: [String: [Parameter]]

    /// The parameters of the embedded contract. It is this build's own document: if it cannot be
    /// read, nothing else of the build can be trusted either.
    static let contract: ContractParameters = {
        do {
            return try ContractParameters(yaml: Contract.yaml)
        } catch {
            preconditionFailure("the embedded openapi.yaml cannot be read: \(error)")
        }
    }()

    init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any], let paths = document["paths"] as? [String: Any] else {
            throw CanteenError.internalFailure()
        }
        let components = document["components"] as? [String: Any] ?? [:]
        func resolve(_ object: Any?) -> [String: Any]? {
            guard let object = object as? [String: Any] else { return nil }
            guard let ref = object["$ref"] as? String, ref.hasPrefix("#/components/") else { return object }
            let parts = ref.dropFirst("#/components/".count).split(separator: "/").map(String.init)
            guard parts.count == 2, let section = components[parts[0]] as? [String: Any] else { return nil }
            return resolve(section[parts[1]])
        }
        func parameters(_ list: Any?) -> [Parameter] {
            (list as? [Any] ?? []).compactMap { entry in
                guard let parameter = resolve(entry), let name = parameter["name"] as? String,
                      let location = (parameter["in"] as? String).flatMap(Parameter.Location.init) else { return nil }
                let schema = resolve(parameter["schema"]) ?? [:]
                let types = (schema["type"] as? [String]) ?? [(schema["type"] as? String) ?? "string"]
                return Parameter(name: name, location: location, required: parameter["required"] as? Bool ?? false,
                                 isInteger: types.contains("integer"), allowed: (schema["enum"] as? [Any])?.map { "\($0)" })
            }
        }
        var operations: [String: [Parameter]] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let shared = parameters(item["parameters"])
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                operations["\(method.uppercased()) \(path)"] = shared + parameters(operation["parameters"])
            }
        }
        self.operations = operations
    }

    /// The parameters `operation` declares, found once when its route is registered; an operation
    /// the document does not list cannot be registered.
    func declared(by operation: String) throws -> [Parameter] {
        guard let declared = operations[operation] else { throw CanteenError.internalFailure() }
        return declared
    }

    /// Checks the request against an operation's `declared` parameters and answers it with empty
    /// query values left out (`?street=` filters nothing, as if it were absent).
    static func checked(_ request: HTTPRequest, declared: [Parameter], pathParameters: [String: Substring]) throws -> HTTPRequest {
        let target = request.path ?? "/"
        let (path, query) = target.firstIndex(of: "?").map { (target[..<$0], target[target.index(after: $0)...]) } ?? (target[...], "")
        var kept: [Substring] = []
        var present: Set<String> = []
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decoded(pair[0])
            let value = pair.count > 1 ? Self.decoded(pair[1]) : ""
            guard let parameter = declared.first(where: { $0.location == .query && $0.name == name }) else {
                throw CanteenError.invalidRequest(name.isEmpty ? "a query parameter has no name" : "this route does not know the query parameter \(name)",
                                                  field: name)
            }
            guard !value.isEmpty else { continue }
            try Self.check(value, against: parameter)
            present.insert(name)
            kept.append(item)
        }
        for parameter in declared {
            switch parameter.location {
            case .query:
                if parameter.required && !present.contains(parameter.name) {
                    throw CanteenError.invalidRequest("the query parameter \(parameter.name) is required", field: parameter.name)
                }
            case .path:
                if let value = pathParameters[parameter.name] { try Self.check(Self.decoded(value), against: parameter) }
            }
        }
        var request = request
        request.path = kept.isEmpty ? String(path) : path + "?" + kept.joined(separator: "&")
        return request
    }

    static func check(_ value: String, against parameter: Parameter) throws {
        if parameter.isInteger && Int(value) == nil {
            throw CanteenError.invalidRequest("\(parameter.name) must be an integer", field: parameter.name)
        }
        if let allowed = parameter.allowed, !allowed.contains(value) {
            throw CanteenError.invalidRequest("\(parameter.name) must be one of \(allowed.joined(separator: ", "))", field: parameter.name)
        }
    }

    /// A query or path component as text: `+` is a space, `%XX` a byte.
    static func decoded(_ component: Substring) -> String {
        let text = component.replacingOccurrences(of: "+", with: " ")
        return text.removingPercentEncoding ?? text
    }
}
