import PackagePlugin

/// Compiles the target's `openapi.yaml` into the target as a string constant, so the binary
/// serves the contract's exact bytes without a resource bundle beside it.
@main
struct EmbedContract: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let source = target.sourceModule?.sourceFiles.first(where: { $0.url.lastPathComponent == "openapi.yaml" }) else {
            throw PluginError.noContract(target.name)
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedContract.swift")
        return [.buildCommand(
            displayName: "Embedding \(source.url.lastPathComponent) in \(target.name)",
            executable: try context.tool(named: "ContractEmbedder").url,
            arguments: [source.url.path(), output.path()],
            inputFiles: [source.url],
            outputFiles: [output]
        )]
    }

    enum PluginError: Error, CustomStringConvertible {
        case noContract(String)
        var description: String {
            switch self {
            case .noContract(let target): "target \(target) has no openapi.yaml to embed"
            }
        }
    }
}
