import ArgumentParser
import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "The subsidy policy.",
        subcommands: [Show.self, Add.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the policy in force (today, or --on DATE).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Date, YYYY-MM-DD.") var on: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                var date: LocalDate?
                if let on {
                    guard let parsed = LocalDate(iso: on) else {
                        throw CanteenError(.invalidDate, "--on must be a date YYYY-MM-DD")
                    }
                    date = parsed
                }
                let policy = try await context.services.policies.current(on: date)
                try context.output.show(Components.Schemas.Policy(policy)) { PolicyCommand.printPolicy(policy) }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a policy effective from a date.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .customLong("from"), help: "Effective from, YYYY-MM-DD.") var from: String
        @Option(name: .customLong("tier"), help: "LABEL:MIN_AGE:MAX_AGE:SUBSIDY_FEN (empty MAX_AGE = no upper bound), e.g. \"80+:80::400\".")
        var tiers: [String]
        @Option(help: "At most this many subsidised meals per diner per day.") var dailyCap: Int?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let parsed = try tiers.map(PolicyCommand.parseTier)
                let policy = try await context.services.policies.add(
                    PolicyService.Draft(effectiveFrom: from, tiers: parsed, maxSubsidizedMealsPerDay: dailyCap), by: context.actor)
                try context.output.show(Components.Schemas.Policy(policy)) { PolicyCommand.printPolicy(policy) }
            }
        }
    }

    static func parseTier(_ text: String) throws -> SubsidyTier {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let min = Int(parts[1]), let subsidy = Int(parts[3]),
              parts[2].isEmpty || Int(parts[2]) != nil else {
            throw CanteenError.validation([FieldError(field: "tiers", message: "\"\(text)\" is not LABEL:MIN_AGE:MAX_AGE:SUBSIDY_FEN")])
        }
        return SubsidyTier(label: parts[0], minAge: min, maxAge: Int(parts[2]), subsidyFen: subsidy)
    }

    static func printPolicy(_ policy: SubsidyPolicy) {
        print("effective from \(policy.effectiveFrom)" + (policy.maxSubsidizedMealsPerDay.map { ", at most \($0) subsidised meals a day" } ?? ", no daily cap"))
        var table = TextTable("BRACKET", "AGES", "SUBSIDY")
        for tier in policy.tiers {
            table.add(tier.label, "\(tier.minAge)–\(tier.maxAge.map(String.init) ?? "")", Money(fen: tier.subsidyFen).description)
        }
        print(table.render())
    }
}
