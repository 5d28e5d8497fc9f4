import ArgumentParser

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq URL or connection string; overrides DATABASE_URL.")
    var databaseURL: String?

    @Flag(name: .customLong("json"), help: "Print exactly the JSON the HTTP API answers.")
    var json = false
}
