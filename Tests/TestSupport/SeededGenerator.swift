import Foundation

/// A reproducible random number generator for tests (SplitMix64). Each run takes a fresh seed
/// unless `CANTEEN_TEST_SEED` names one; a failing expectation quotes `note`, so the failing
/// run can be repeated exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// The seed from `CANTEEN_TEST_SEED`, else a random one.
    public init() {
        if let text = ProcessInfo.processInfo.environment["CANTEEN_TEST_SEED"], let seed = UInt64(text) {
            self.init(seed: seed)
        } else {
            var system = SystemRandomNumberGenerator()
            self.init(seed: system.next())
        }
    }

    /// For failure messages: how to run this case again.
    public var note: String { "seed \(seed) (CANTEEN_TEST_SEED=\(seed) repeats it)" }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
