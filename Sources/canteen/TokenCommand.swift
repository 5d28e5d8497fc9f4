import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens.", subcommands: [Create.self, Revoke.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a token; it is printed once, on the last line.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Who holds it (shown in the audit log).") var name: String
        @Option(help: "admin | bureau | operator.") var role: String
        @Option(name: .customLong("site"), help: "A site an operator token acts for (repeatable).") var sites: [String] = []
        @Option(name: .customLong("street"), help: "A street a bureau token is limited to, as a street office (repeatable).") var streets: [String] = []

        func run() async throws {
            try await CommandContext.run(options) { context in
                let issued = try await context.services.tokens.create(
                    TokenService.Draft(name: name, role: role, siteCodes: sites, streets: streets), by: context.actor)
                try context.output.show(Operations.PostV1Tokens.Output.Created.Body.JsonPayload(issued)) {
                    print("token \(issued.token.id) for \(issued.token.name) (\(issued.token.role.rawValue)"
                          + (issued.token.siteCodes.isEmpty ? "" : ": " + issued.token.siteCodes.joined(separator: ", "))
                          + (issued.token.streets.isEmpty ? "" : ": " + issued.token.streets.joined(separator: ", ")) + "), shown only now:")
                    print(issued.secret)
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Token id.") var id: Int

        func run() async throws {
            try await CommandContext.run(options) { context in
                try await context.services.tokens.revoke(id, by: context.actor)
                try context.output.show(Revoked(id: id, revoked: true)) { print("token \(id) revoked") }
            }
        }
    }
}

extension TokenCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens, newest first (never their secrets).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "At most this many (1–500).") var limit: Int?
        @Option(help: "Continue after this cursor.") var cursor: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let page = try await context.services.tokens.list(page: try PageRequest(limit: limit, cursor: cursor), clock: context.services.clock,
                                                                  by: context.actor)
                try context.output.show(Operations.GetV1Tokens.Output.Ok.Body.JsonPayload(page)) {
                    var table = TextTable("ID", "NAME", "ROLE", "SITES / STREETS", "CREATED", "LAST USED", "REVOKED")
                    for listed in page.items {
                        let t = listed.token
                        table.add(String(t.id), t.name, t.role.rawValue, (t.siteCodes + t.streets).joined(separator: ","), listed.createdAt,
                                  listed.lastUsedAt ?? "-", listed.revokedAt ?? "-")
                    }
                    print(table.render())
                    if let next = page.nextCursor { print("more: --cursor \(next)") }
                }
            }
        }
    }
}

struct Revoked: Encodable {
    let id: Int
    let revoked: Bool
}
