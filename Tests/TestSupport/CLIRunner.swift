import Foundation

/// Runs the built `canteen` executable as a user would, against a test database.
public struct CLIRunner: Sendable {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Standard output as bytes (reading it as a String drops a byte-order mark).
        public let stdoutBytes: Data
    }

    public let databaseURL: String

    public init(databaseURL: String) {
        self.databaseURL = databaseURL
    }

    public static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("canteen")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return TestDatabase.repositoryRoot.appendingPathComponent(".build/debug/canteen")
    }

    public func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> Result {
        try await run(arguments, environment: extra)
    }

    public func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestDatabase.repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["CANTEEN_TZ"] = "Asia/Shanghai"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canteen-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let bytes = (try? Data(contentsOf: out)) ?? Data()
        return Result(status: status,
                      stdout: String(decoding: bytes, as: UTF8.self),
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                      stdoutBytes: bytes)
    }
}
