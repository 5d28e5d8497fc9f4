/// Where a monthly subsidy claim stands. `draft → submitted → approved → paid`;
/// `submitted → rejected` (the month opens again and the claim can be rebuilt to `draft`).
public enum ClaimStatus: String, Sendable, Codable, CaseIterable {
    case draft, submitted, approved, rejected, paid

    /// Whether the claim's month is closed for its site.
    public var closesPeriod: Bool { self == .submitted || self == .approved || self == .paid }

    /// The statuses that close a month, for every query that asks whether a month is closed:
    /// the list lives here, once, and SQL receives it as a parameter.
    public static let periodClosing: [ClaimStatus] = allCases.filter(\.closesPeriod)

    public var chineseLabel: String {
        switch self {
        case .draft: return "草稿"
        case .submitted: return "已提交"
        case .approved: return "已审核"
        case .rejected: return "已退回"
        case .paid: return "已拨付"
        }
    }
}

/// The moves of a claim's life, each from exactly one status.
public enum ClaimAction: String, Sendable, CaseIterable {
    case submit, approve, reject, pay

    public var from: ClaimStatus {
        switch self {
        case .submit: return .draft
        case .approve, .reject: return .submitted
        case .pay: return .approved
        }
    }

    public var to: ClaimStatus {
        switch self {
        case .submit: return .submitted
        case .approve: return .approved
        case .reject: return .rejected
        case .pay: return .paid
        }
    }

    /// The next status, or `invalid_state` when the action does not apply.
    public func apply(to status: ClaimStatus) throws -> ClaimStatus {
        guard status == from else {
            throw CanteenError(.invalidState, "a \(status.rawValue) claim cannot be \(pastTense) (only a \(from.rawValue) one)")
        }
        return to
    }

    var pastTense: String {
        switch self {
        case .submit: return "submitted"
        case .approve: return "approved"
        case .reject: return "rejected"
        case .pay: return "paid"
        }
    }
}

/// One diner's meals of one bracket in a claim.
public struct ClaimLine: Sendable, Equatable {
    public let dinerID: Int
    public let name: String
    public let residentIDMasked: String
    public let bracket: String
    public let meals: Int
    public let subsidyFen: Int

    public init(dinerID: Int, name: String, residentIDMasked: String, bracket: String, meals: Int, subsidyFen: Int) {
        self.dinerID = dinerID
        self.name = name
        self.residentIDMasked = residentIDMasked
        self.bracket = bracket
        self.meals = meals
        self.subsidyFen = subsidyFen
    }
}

/// Totals of one bracket.
public struct ClaimBracket: Sendable, Equatable {
    public let bracket: String
    public let meals: Int
    public let diners: Int
    public let subsidyFen: Int

    public init(bracket bracket: String, meals: Int, diners: Int, subsidyFen: Int) {
        self.bracket = bracket
        self.meals = meals
        self.diners = diners
        self.subsidyFen = subsidyFen
    }

    /// Per-bracket totals from the lines (a diner has at most one line per bracket).
    public static func totals(of lines: [ClaimLine]) -> [ClaimBracket] {
        var order: [String] = []
        var sums: [String: (meals: Int, diners: Int, fen: Int)] = [:]
        for line in lines {
            if sums[line.bracket] == nil { order.append(line.bracket) }
            sums[line.bracket, default: (0, 0, 0)].meals += line.meals
            sums[line.bracket, default: (0, 0, 0)].diners += 1
            sums[line.bracket, default: (0, 0, 0)].fen += line.subsidyFen
        }
        return order.sorted().map { ClaimBracket(bracket: $0, meals: sums[$0]!.meals, diners: sums[$0]!.diners, subsidyFen: sums[$0]!.fen) }
    }
}

/// A negative line: a meal voided after its month was claimed.
public struct ClaimAdjustment: Sendable, Equatable {
    public let mealID: Int
    public let dinerID: Int
    public let servedOn: LocalDate
    public let subsidyFen: Int
    public let reason: String

    public init(mealID: Int, dinerID: Int, servedOn: LocalDate, subsidyFen: Int, reason: String) {
        self.mealID = mealID
        self.dinerID = dinerID
        self.servedOn = servedOn
        self.subsidyFen = subsidyFen
        self.reason = reason
    }
}

/// A pre-claim check: something a reviewer should look at before the claim is paid.
public struct ClaimCheck: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable {
        /// Submission needs an `override_reason`.
        case blocking
        case warning
    }

    public let code: String
    public let severity: Severity
    public let count: Int
    public let detail: String

    public init(code: String, severity: Severity, count: Int, detail: String) {
        self.code = code
        self.severity = severity
        self.count = count
        self.detail = detail
    }

    public var chineseLabel: String {
        switch code {
        case "meals_outside_service": return "非营业日或未开设餐次的就餐记录"
        case "meals_while_inactive": return "老人状态非正常期间的就餐记录"
        case "more_meals_than_slots": return "就餐次数超过可供餐次"
        case "unusually_busy_day": return "单日就餐人次异常偏高"
        case "late_entries": return "补录时间过晚的就餐记录"
        default: return code
        }
    }
}

/// A monthly subsidy claim (补贴申报) of one site.
public struct Claim: Sendable, Equatable {
    public let id: Int
    public let siteCode: String
    public let siteName: String
    public let street: String
    public let month: YearMonth
    public let status: ClaimStatus
    public let meals: Int
    public let diners: Int
    public let subsidyFen: Int
    public let adjustmentFen: Int
    public let lines: [ClaimLine]
    public let adjustments: [ClaimAdjustment]
    public let checks: [ClaimCheck]
    public let rejectReason: String?
    public let overrideReason: String?
    public let builtAt: String
    public let submittedAt: String?
    public let approvedAt: String?
    public let rejectedAt: String?
    public let paidAt: String?

    public init(id: Int, siteCode: String, siteName: String, street: String, month: YearMonth, status: ClaimStatus,
                meals: Int, diners: Int, subsidyFen: Int, adjustmentFen: Int, lines: [ClaimLine],
                adjustments: [ClaimAdjustment], checks: [ClaimCheck], rejectReason: String?, overrideReason: String?,
                builtAt: String, submittedAt: String?, approvedAt: String?, rejectedAt: String?, paidAt: String?) {
        self.id = id
        self.siteCode = siteCode
        self.siteName = siteName
        self.street = street
        self.month = month
        self.status = status
        self.meals = meals
        self.diners = diners
        self.subsidyFen = subsidyFen
        self.adjustmentFen = adjustmentFen
        self.lines = lines
        self.adjustments = adjustments
        self.checks = checks
        self.rejectReason = rejectReason
        self.overrideReason = overrideReason
        self.builtAt = builtAt
        self.submittedAt = submittedAt
        self.approvedAt = approvedAt
        self.rejectedAt = rejectedAt
        self.paidAt = paidAt
    }

    public var totalFen: Int { subsidyFen + adjustmentFen }
    public var brackets: [ClaimBracket] { ClaimBracket.totals(of: lines) }
    public var hasBlockingChecks: Bool { checks.contains { $0.severity == .blocking } }
}

/// A claim as JSON: with its brackets, lines and adjustments, or (in lists) without them.
public struct ClaimView: Sendable {
    public let claim: Claim
    public let detailed: Bool

    public init(_ claim: Claim, detailed: Bool = true) {
        self.claim = claim
        self.detailed = detailed
    }
}
