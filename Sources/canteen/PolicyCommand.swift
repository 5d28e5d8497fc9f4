import ArgumentParser
import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Foundation

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
        static let configuration = CommandConfiguration(
            abstract: "Add a policy effective from a date: from --from and --tier options, or --file POLICY.json.",
            discussion: "POLICY.json is the body of POST /v1/policies (tiers with categories, …); seeds/policies/ has examples.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .customLong("from"), help: "Effective from, YYYY-MM-DD.") var from: String?
        @Option(name: .customLong("tier"), help: "LABEL:MIN_AGE:MAX_AGE:SUBSIDY_FEN (empty MAX_AGE = no upper bound), e.g. \"80+:80::400\".")
        var tiers: [String] = []
        @Option(help: "At most this many subsidised meals per diner per day.") var dailyCap: Int?
        @Option(help: "A JSON file with the body of POST /v1/policies.") var file: String?

        func validate() throws {
            if file != nil {
                guard from == nil, tiers.isEmpty, dailyCap == nil else { throw ValidationError("--file holds the whole policy: leave out --from, --tier and --daily-cap") }
            } else {
                guard from != nil, !tiers.isEmpty else { throw ValidationError("give --from and at least one --tier, or --file POLICY.json") }
            }
        }

        func run() async throws {
            try await CommandContext.run(options) { context in
                let draft: PolicyService.Draft
                if let file {
                    draft = try PolicyCommand.draft(fromFile: file)
                } else {
                    draft = PolicyService.Draft(effectiveFrom: from, tiers: try tiers.map(PolicyCommand.parseTier), maxSubsidizedMealsPerDay: dailyCap)
                }
                let policy = try await context.services.policies.add(draft, by: context.actor)
                try context.output.show(Components.Schemas.Policy(policy)) { PolicyCommand.printPolicy(policy) }
            }
        }
    }

    /// A policy from a file holding the body of `POST /v1/policies`, decoded as the API decodes it.
    static func draft(fromFile path: String) throws -> PolicyService.Draft {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CanteenError.invalidRequest("cannot read \(path)", field: "file")
        }
        do {
            return PolicyService.Draft(try JSONCoding.decoder().decode(Components.Schemas.PolicyInput.self, from: data))
        } catch let error as DecodingError {
            let refusal = CanteenError.invalidBody(error)
            throw CanteenError(.invalidRequest, "\(path): \(refusal.message)", errors: refusal.errors)
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
        print("effective from \(policy.effectiveFrom)" + (policy.maxSubsidizedMealsPerDay.map { ", at most \($0) subsidised meals a day" } ?? ", no daily cap")
              + (policy.operatingFenPerDinerDay.map { ", operating subsidy \(Money(fen: $0)) a diner-day" } ?? ""))
        var table = TextTable("BRACKET", "AGES", "CATEGORIES", "SUBSIDY", "FUNDERS")
        for tier in policy.tiers {
            table.add(tier.label, "\(tier.minAge)–\(tier.maxAge.map(String.init) ?? "")",
                      tier.categories.map { $0.map(\.chineseName).joined(separator: "、") } ?? "-", Money(fen: tier.subsidyFen).description,
                      tier.payers.map { "\($0.funder.rawValue) \(Money(fen: $0.shareFen))" }.joined(separator: ", "))
        }
        print(table.render())
    }
}
