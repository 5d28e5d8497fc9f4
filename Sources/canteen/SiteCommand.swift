import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService

struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site",
        abstract: "Canteen sites (幸福食堂).",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Close.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set up a canteen site.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Unique code, 2–32 of A-Z 0-9 -.") var code: String
        @Option(help: "Name, e.g. 东关国际幸福食堂.") var name: String
        @Option(help: "community_center | enterprise | village | other.") var kind: String
        @Option(help: "Street (街道).") var street: String
        @Option(help: "First day of service, YYYY-MM-DD.") var opensOn: String
        @Option(help: "Last day + 1, YYYY-MM-DD.") var closesOn: String?
        @Option(help: "Comma-separated slots: breakfast,lunch,dinner (default lunch).") var slots: String?
        @Option(help: "Default meal price in fen.") var priceFen: Int?
        @Option(help: "Community (社区).") var community: String?
        @Option(help: "Address.") var address: String?
        @Option(name: .customLong("operator"), help: "Operator (经营者).") var operatorName: String?
        @Option(help: "Phone.") var phone: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                let draft = SiteDraft(
                    code: code, name: name, kind: kind, street: street, community: community, address: address,
                    operatorName: operatorName, phone: phone, opensOn: opensOn, closesOn: closesOn,
                    slots: slots.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                    defaultPriceFen: priceFen)
                let view = try await context.services.sites.create(draft, by: context.actor)
                try context.output.show(Components.Schemas.Site(view)) { SiteCommand.printDetail(view) }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a site's details (PATCH /v1/sites/{code}); an empty value clears an optional field.",
            discussion: "The code never changes. Example: canteen site edit LY-XINYI --phone 0635-8888888 --price-fen 1100")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Site code.") var code: String
        @Option(help: "Name.") var name: String?
        @Option(help: "community_center | enterprise | village | other.") var kind: String?
        @Option(help: "Street (街道、乡镇).") var street: String?
        @Option(help: "Community (empty: none).") var community: String?
        @Option(help: "Address (empty: none).") var address: String?
        @Option(name: .customLong("operator"), help: "Who runs it (empty: none).") var operatorName: String?
        @Option(help: "Phone (empty: none).") var phone: String?
        @Option(help: "First day of service, YYYY-MM-DD.") var opensOn: String?
        @Option(help: "First day without service, YYYY-MM-DD (empty: open).") var closesOn: String?
        @Option(help: "Slots served, comma-separated: breakfast,lunch,dinner.") var slots: String?
        @Option(help: "Default meal price in fen (empty: none).") var priceFen: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                var price: SitePatch.Field<Int> = .unchanged
                if let text = priceFen?.trimmingWhitespace() {
                    if text.isEmpty {
                        price = .cleared
                    } else if let fen = Int(text) {
                        price = .set(fen)
                    } else {
                        throw CanteenError.invalidRequest("--price-fen must be a whole number of fen", field: "default_price_fen")
                    }
                }
                let patch = SitePatch(name: name, kind: kind, street: street, community: .init(option: community), address: .init(option: address),
                                      operatorName: .init(option: operatorName), phone: .init(option: phone), opensOn: opensOn,
                                      closesOn: .init(option: closesOn),
                                      slots: slots.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                                      defaultPriceFen: price)
                let view = try await context.services.sites.update(code, patch, by: context.actor)
                try context.output.show(Components.Schemas.Site(view)) { SiteCommand.printDetail(view) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sites.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this street.") var street: String?
        @Option(help: "preparing | operating | closed (today).") var status: String?
        @Option(help: "At most this many (1–500).") var limit: Int?
        @Option(help: "Continue after this cursor.") var cursor: String?

        func run() async throws {
            try await CommandContext.run(options) { context in
                var filter = SiteService.Filter(street: street)
                if let status {
                    guard let parsed = SiteStatus(rawValue: status) else {
                        throw CanteenError.invalidRequest("status must be preparing, operating or closed", field: "status")
                    }
                    filter.status = parsed
                }
                let page = try await context.services.sites.list(filter, page: try PageRequest(limit: limit, cursor: cursor), by: context.actor)
                try context.output.show(Components.Schemas.SitePage(page)) {
                    var table = TextTable("CODE", "STATUS", "KIND", "STREET", "SLOTS", "PRICE", "NAME")
                    for view in page.items {
                        let site = view.site
                        table.add(site.code, view.status.rawValue, site.kind.rawValue, site.street,
                                  site.slots.map(\.rawValue).joined(separator: ","),
                                  site.defaultPriceFen.map { Money(fen: $0).description } ?? "-", site.name)
                    }
                    print(table.render())
                    if let next = page.nextCursor { print("more: --cursor \(next)") }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one site.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Site code.") var code: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                let view = try await context.services.sites.get(code, by: context.actor)
                try context.output.show(Components.Schemas.Site(view)) { SiteCommand.printDetail(view) }
            }
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a site from a date on (no meals on or after it).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Site code.") var code: String
        @Option(help: "First day it no longer operates, YYYY-MM-DD.") var on: String

        func run() async throws {
            try await CommandContext.run(options) { context in
                guard let date = LocalDate(iso: on) else {
                    throw CanteenError.validation([FieldError(field: "closes_on", message: "must be a date YYYY-MM-DD")])
                }
                let view = try await context.services.sites.close(code, on: date, by: context.actor)
                try context.output.show(Components.Schemas.Site(view)) { SiteCommand.printDetail(view) }
            }
        }
    }

    static func printDetail(_ view: SiteView) {
        let site = view.site
        let fields: [(String, String)] = [
            ("code", site.code), ("name", site.name), ("kind", "\(site.kind.rawValue) (\(site.kind.chineseLabel))"),
            ("street", site.street), ("community", site.community ?? "-"), ("address", site.address ?? "-"),
            ("operator", site.operatorName ?? "-"), ("phone", site.phone ?? "-"),
            ("opens_on", site.opensOn.description), ("closes_on", site.closesOn?.description ?? "-"),
            ("slots", site.slots.map(\.rawValue).joined(separator: ",")),
            ("default_price", site.defaultPriceFen.map { Money(fen: $0).description } ?? "-"),
            ("status", view.status.rawValue),
        ]
        for (key, value) in fields { print(key.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
    }
}
