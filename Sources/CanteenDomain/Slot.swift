/// A meal service of the day.
public enum Slot: String, Sendable, Codable, CaseIterable, Comparable {
    case breakfast, lunch, dinner

    public static func < (a: Slot, b: Slot) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public var chineseLabel: String {
        switch self {
        case .breakfast: return "早餐"
        case .lunch: return "午餐"
        case .dinner: return "晚餐"
        }
    }
}
