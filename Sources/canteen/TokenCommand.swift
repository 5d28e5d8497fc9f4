import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a token; it is printed once, on the last line.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Who holds it (shown in the audit log).") var name: String
        @Option(help: "admin | bureau | operator.") var role: String
        @Option(name: .customLong("site"), help: "A site an operator token acts for (repeatable).") var sites: [String] = []

        func run() async throws {
            try await CommandContext.run(options) { context in
                let issued = try await context.services.tokens.create(
                    TokenService.Draft(name: name, role: role, siteCodes: sites), by: context.actor)
                try context.output.show(Operations.PostV1Tokens.Output.Created.Body.JsonPayload(issued)) {
                    print("token \(issued.token.id) for \(issued.token.name) (\(issued.token.role.rawValue)"
                          + (issued.token.siteCodes.isEmpty ? "" : ": " + issued.token.siteCodes.joined(separator: ", ")) + "), shown only now:")
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

struct Revoked: Encodable {
    let id: Int
    let revoked: Bool
}
