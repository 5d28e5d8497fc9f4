import ArgumentParser

@main
struct Canteen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canteen",
        abstract: "幸福食堂 (happiness canteen) backend: sites, diners, meals, subsidy claims.",
        discussion: "Reads DATABASE_URL (or --database-url); with neither, uses the private cluster started by `make db`.",
        subcommands: [DBCommand.self, ServeCommand.self, SiteCommand.self, PolicyCommand.self, DinerCommand.self, MealCommand.self, ClaimCommand.self, ReportCommand.self, TokenCommand.self, AuditCommand.self]
    )
}
