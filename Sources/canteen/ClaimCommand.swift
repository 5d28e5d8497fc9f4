import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService
import Foundation

struct ClaimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Monthly subsidy claims (补贴申报).",
        subcommands: [Build.self, Show.self, List.self, Submit.self, Approve.self, Reject.self, Pay.self, Export.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build (or refresh) the draft claim of a site and month.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Site code.") var site: String
        @Option(help: "Month, YYYY-MM.") var month: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                let built = try await context.services.claims.build(siteCode: site, month: month, by: context.actor)
                try context.output.show(Components.Schemas.Claim(ClaimView(built.claim))) { ClaimCommand.printClaim(built.claim) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a claim: brackets, lines, adjustments, checks and events.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int

        func run() async throws {
            try await CommandContext.run(options) { context in
                let claim = try await context.services.claims.get(id, by: context.actor)
                try context.output.show(Components.Schemas.Claim(ClaimView(claim))) { ClaimCommand.printClaim(claim, detailed: true) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List claims.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Month, YYYY-MM.") var month: String?
        @Option(help: "Site code.") var site: String?
        @Option(help: "draft | submitted | approved | rejected | paid.") var status: String?
        @Option(help: "At most this many (1–500).") var limit: Int?
        @Option(help: "Continue after this cursor.") var cursor: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let page = try await context.services.claims.list(try ClaimService.Filter(parsing: month, siteCode: site, status: status),
                                                                  page: try PageRequest(limit: limit, cursor: cursor), by: context.actor)
                try context.output.show(Components.Schemas.ClaimPage(page)) {
                    var table = TextTable("ID", "MONTH", "SITE", "STATUS", "MEALS", "DINERS", "TOTAL", "CHECKS")
                    for view in page.items {
                        let c = view.claim
                        table.add(String(c.id), c.month.description, c.siteCode, c.status.rawValue, String(c.meals), String(c.diners),
                                  Money(fen: c.totalFen).description, c.checks.map(\.code).joined(separator: ","))
                    }
                    print(table.render())
                    if let next = page.nextCursor { print("more: --cursor \(next)") }
                }
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit a draft after its month has ended (freezes the numbers).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int
        @Option(help: "Why blocking checks may be ignored.") var overrideReason: String?

        func run() async throws {
            try await ClaimCommand.move(options, id, .submit, ClaimService.Note(reason: overrideReason))
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a submitted claim.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int
        @Option(help: "The reviewing office's comment (printed on the form).") var comment: String?

        func run() async throws { try await ClaimCommand.move(options, id, .approve, ClaimService.Note(comment: comment)) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a submitted claim; its month opens again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int
        @Option(help: "Why.") var reason: String

        func run() async throws { try await ClaimCommand.move(options, id, .reject, ClaimService.Note(reason: reason)) }
    }

    struct Pay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that an approved claim was paid.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int
        @Option(help: "The payment voucher's number (支付凭证号).") var reference: String?
        @Option(help: "The day it was paid, YYYY-MM-DD (default today).") var paidOn: String?

        func run() async throws { try await ClaimCommand.move(options, id, .pay, ClaimService.Note(reference: reference, paidOn: paidOn)) }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a claim as csv, html (the printable form) or json.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Claim id.") var id: Int
        @Option(help: "csv | html | json.") var format: String
        @Option(help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                guard let format = ClaimDocument.Format(rawValue: format) else {
                    throw CanteenError.invalidRequest("format must be csv, html or json", field: "format")
                }
                let claim = try await context.services.claims.get(id, by: context.actor)
                let text: String
                switch format {
                case .json: text = String(decoding: try JSONCoding.encoder().encode(Components.Schemas.Claim(ClaimView(claim))), as: UTF8.self) + "\n"
                case .csv: text = ClaimDocument.csv(claim)
                case .html: text = try ClaimDocument.html(claim, printedAt: context.services.clock.timestamp(context.services.clock.currentDate()))
                }
                try context.output.document(text, to: output)
            }
        }
    }

    static func move(_ options: GlobalOptions, _ id: Int, _ action: ClaimAction, _ note: ClaimService.Note) async throws {
        try await CommandContext.run(options) { context in
            let claim = try await context.services.claims.transition(id, action, note, by: context.actor)
            try context.output.show(Components.Schemas.Claim(ClaimView(claim))) { ClaimCommand.printClaim(claim) }
        }
    }

    static func printClaim(_ claim: Claim, detailed: Bool = false) {
        print("claim \(claim.id): \(claim.siteName) (\(claim.siteCode)), \(claim.street), \(claim.month) — \(claim.status.rawValue) (\(claim.status.chineseLabel))")
        var brackets = TextTable("BRACKET", "CATEGORIES", "DINERS", "MEALS", "SUBSIDY")
        for b in claim.brackets {
            brackets.add(b.bracket, b.categories.isEmpty ? "-" : b.categories.map(\.chineseName).joined(separator: "、"), String(b.diners),
                         String(b.meals), Money(fen: b.subsidyFen).description)
        }
        print(brackets.render())
        print("meals \(claim.meals), diners \(claim.diners), subsidy \(Money(fen: claim.subsidyFen)), "
              + "operating \(Money(fen: claim.operating.fen)) (\(claim.operating.dinerDays) diner-days), adjustments \(Money(fen: claim.adjustmentFen))")
        print("funders: " + ClaimCommand.describe(claim.funders))
        print("total \(Money(fen: claim.totalFen)) (\(ChineseAmount.capital(fen: claim.totalFen)))")
        for check in claim.checks { print("check \(check.severity.rawValue): \(check.code) — \(check.detail)") }
        if let reason = claim.rejectReason { print("rejected: \(reason)") }
        if let reason = claim.overrideReason { print("override: \(reason)") }
        if let comment = claim.approvalComment { print("approved with: \(comment)") }
        if let paidOn = claim.paidOn { print("paid on \(paidOn)" + (claim.paymentReference.map { ", voucher \($0)" } ?? "")) }
        guard detailed else { return }
        var lines = TextTable("DINER", "NAME", "RESIDENT ID", "BRACKET", "MEALS", "SUBSIDY")
        for line in claim.lines {
            lines.add(String(line.dinerID), line.name, line.residentIDMasked, line.bracket, String(line.meals), Money(fen: line.subsidyFen).description)
        }
        print("")
        print(lines.render())
        if !claim.adjustments.isEmpty {
            var adjustments = TextTable("MEAL", "DINER", "SERVED ON", "SUBSIDY", "OPERATING", "REASON")
            for a in claim.adjustments {
                adjustments.add(String(a.mealID), String(a.dinerID), a.servedOn.description, Money(fen: a.subsidyFen).description,
                                Money(fen: a.operatingFen).description, a.reason)
            }
            print("")
            print(adjustments.render())
        }
        var events = TextTable("AT", "ACTION", "BY", "NOTE")
        for e in claim.events {
            let note = [e.reason, e.comment, e.reference.map { "voucher \($0)" }, e.paidOn.map { "paid on \($0)" }].compactMap { $0 }
            events.add(e.at, e.action.rawValue, e.actor, note.joined(separator: "; "))
        }
        print("")
        print(events.render())
    }

    /// `city 12.00, district 3.00` (`none` when nothing is paid).
    static func describe(_ funders: [FundingShare]) -> String {
        funders.isEmpty ? "none" : funders.map { "\($0.funder.rawValue) \(Money(fen: $0.shareFen))" }.joined(separator: ", ")
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Reports across canteens.", subcommands: [Monthly.self])

    struct Monthly: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The monthly report: per site, per bracket, totals.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Month, YYYY-MM.") var month: String
        @Option(help: "Only this street.") var street: String?
        @Option(help: "csv | html instead of the table (or --json).") var format: String?
        @Option(help: "Write the csv or html to this file.") var output: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let report = try await context.services.reports.monthly(month: month, street: street, by: context.actor)
                if let format {
                    let text: String
                    switch format {
                    case "csv": text = ReportDocument.csv(report)
                    case "html": text = try ReportDocument.html(report, printedAt: context.services.clock.timestamp(context.services.clock.currentDate()))
                    default: throw CanteenError.invalidRequest("format must be csv or html", field: "format")
                    }
                    try context.output.document(text, to: output)
                    return
                }
                try context.output.show(Components.Schemas.MonthlyReport(report)) {
                    print("\(report.month)" + (report.street.map { " \($0)" } ?? ""))
                    var table = TextTable("SITE", "STREET", "MEALS", "SUBSIDISED", "DINERS", "SUBSIDY", "OPERATING", "CLAIM", "NAME")
                    for s in report.sites {
                        table.add(s.siteCode, s.street, String(s.meals), String(s.subsidizedMeals), String(s.diners),
                                  Money(fen: s.subsidyFen).description, Money(fen: s.operatingSubsidyFen).description,
                                  s.claimStatus?.rawValue ?? "-", s.name)
                    }
                    print(table.render())
                    let t = report.totals
                    print("total: meals \(t.meals), subsidised \(t.subsidizedMeals), diners \(t.diners), subsidy \(Money(fen: t.subsidyFen)), "
                          + "operating \(Money(fen: t.operatingSubsidyFen))")
                    print("funders: " + ClaimCommand.describe(report.funders))
                }
            }
        }
    }
}
