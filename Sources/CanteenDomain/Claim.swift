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
            throw CanteenError(.invalidState, "this claim is \(status.rawValue): only a \(from.rawValue) claim can be \(pastTense)")
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
    /// The categories its meals were subsidised for (SPEC §2.12), in the SPEC's order; none for an age tier.
    public let categories: [DinerCategory]
    public let meals: Int
    public let subsidyFen: Int

    public init(dinerID: Int, name: String, residentIDMasked: String, bracket: String, categories: [DinerCategory] = [],
                meals: Int, subsidyFen: Int) {
        self.dinerID = dinerID
        self.name = name
        self.residentIDMasked = residentIDMasked
        self.bracket = bracket
        self.categories = categories
        self.meals = meals
        self.subsidyFen = subsidyFen
    }
}

/// Totals of one bracket.
public struct ClaimBracket: Sendable, Equatable {
    public let bracket: String
    /// The categories of its meals (a category tier's), in the SPEC's order.
    public let categories: [DinerCategory]
    public let meals: Int
    public let diners: Int
    public let subsidyFen: Int

    public init(bracket: String, categories: [DinerCategory] = [], meals: Int, diners: Int, subsidyFen: Int) {
        self.bracket = bracket
        self.categories = categories
        self.meals = meals
        self.diners = diners
        self.subsidyFen = subsidyFen
    }

    /// Per-bracket totals from the lines (a diner has at most one line per bracket), in label order.
    public static func totals(of lines: [ClaimLine]) -> [ClaimBracket] {
        Dictionary(grouping: lines, by: \.bracket).sorted { $0.key < $1.key }.map { bracket, lines in
            ClaimBracket(bracket: bracket, categories: DinerCategory.allCases.filter { c in lines.contains { $0.categories.contains(c) } },
                         meals: lines.reduce(0) { $0 + $1.meals }, diners: lines.count, subsidyFen: lines.reduce(0) { $0 + $1.subsidyFen })
        }
    }
}

/// A negative line: a meal voided after its month was claimed. It takes back the meal's
/// subsidy from its funders and, when it emptied its diner-day, that day's operating subsidy.
public struct ClaimAdjustment: Sendable, Equatable {
    public let mealID: Int
    public let dinerID: Int
    public let servedOn: LocalDate
    /// Negative.
    public let subsidyFen: Int
    /// Zero or negative (SPEC §2.14).
    public let operatingFen: Int
    /// The meal's funding, negated (SPEC §2.13).
    public let funding: [FundingShare]
    public let reason: String

    public init(mealID: Int, dinerID: Int, servedOn: LocalDate, subsidyFen: Int, operatingFen: Int = 0, funding: [FundingShare] = [],
                reason: String) {
        self.mealID = mealID
        self.dinerID = dinerID
        self.servedOn = servedOn
        self.subsidyFen = subsidyFen
        self.operatingFen = operatingFen
        self.funding = funding
        self.reason = reason
    }

    /// What it takes off the claim that carries it.
    public var totalFen: Int { subsidyFen + operatingFen }
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
        case "meals_before_registration": return "登记之前的就餐记录"
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
    /// SPEC §2.14: the diner-days with a subsidised meal and what they earn the canteen.
    public let operating: OperatingSubsidy.Earned
    /// The carried adjustments' subsidy and operating parts.
    public let adjustmentFen: Int
    /// What each funder pays of the meals' subsidies and the adjustments' (SPEC §2.13).
    public let funders: [FundingShare]
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
    /// SPEC §2.9: every build, rebuild and transition, oldest first.
    public let events: [ClaimEvent]
    public let approvalComment: String?
    /// The payment voucher's number and the day it was paid.
    public let paymentReference: String?
    public let paidOn: LocalDate?

    public init(id: Int, siteCode: String, siteName: String, street: String, month: YearMonth, status: ClaimStatus,
                meals: Int, diners: Int, subsidyFen: Int, operating: OperatingSubsidy.Earned = .none, adjustmentFen: Int,
                funders: [FundingShare] = [], lines: [ClaimLine],
                adjustments: [ClaimAdjustment], checks: [ClaimCheck], rejectReason: String?, overrideReason: String?,
                builtAt: String, submittedAt: String?, approvedAt: String?, rejectedAt: String?, paidAt: String?,
                events: [ClaimEvent] = [], approvalComment: String? = nil, paymentReference: String? = nil, paidOn: LocalDate? = nil) {
        self.id = id
        self.siteCode = siteCode
        self.siteName = siteName
        self.street = street
        self.month = month
        self.status = status
        self.meals = meals
        self.diners = diners
        self.subsidyFen = subsidyFen
        self.operating = operating
        self.adjustmentFen = adjustmentFen
        self.funders = funders
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
        self.events = events
        self.approvalComment = approvalComment
        self.paymentReference = paymentReference
        self.paidOn = paidOn
    }

    /// SPEC §2.9: the meals' subsidy, the operating subsidy and the (negative) adjustments.
    public var totalFen: Int { subsidyFen + operating.fen + adjustmentFen }
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

extension ClaimEvent.Action {
    public init(_ action: ClaimAction) {
        switch action {
        case .submit: self = .submit
        case .approve: self = .approve
        case .reject: self = .reject
        case .pay: self = .pay
        }
    }
}

extension ClaimEvent.Action {
    /// As the form prints the claim's history.
    public var chineseLabel: String {
        switch self {
        case .build: "生成"
        case .rebuild: "重新生成"
        case .submit: "申报"
        case .approve: "审核通过"
        case .reject: "退回"
        case .pay: "拨付"
        }
    }
}

/// One step of a claim's history (SPEC §2.9).
public struct ClaimEvent: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case build, rebuild, submit, approve, reject, pay
    }

    public let at: String
    public let actor: String
    public let action: Action
    /// A rejection's reason, or the override reason a submission gave for its blocking checks.
    public let reason: String?
    /// An approval's comment.
    public let comment: String?
    /// A payment's voucher number and date.
    public let reference: String?
    public let paidOn: LocalDate?

    public init(at: String, actor: String, action: Action, reason: String? = nil, comment: String? = nil, reference: String? = nil,
                paidOn: LocalDate? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.reason = reason
        self.comment = comment
        self.reference = reference
        self.paidOn = paidOn
    }
}
