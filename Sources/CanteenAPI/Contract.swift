/// The API's contract: the exact text of `openapi.yaml` in this target, served at
/// `GET /openapi.yaml`. The wire types (`Components.Schemas`, `Operations`) are generated from
/// the same file, so the two cannot differ.
public enum Contract {
    public static var yaml: String { EmbeddedContract.yaml }
}
