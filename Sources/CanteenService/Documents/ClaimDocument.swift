import CanteenDomain
import Mustache

/// The documents of a claim for officials: CSV for spreadsheets and the printable
/// A4 form 幸福食堂老年人就餐补贴申报表.
public enum ClaimDocument {
    public enum Format: String, Sendable, CaseIterable {
        case json, csv, html

        public var contentType: String {
            switch self {
            case .json: return "application/json"
            case .csv: return "text/csv; charset=utf-8"
            case .html: return "text/html; charset=utf-8"
            }
        }
    }

    /// UTF-8 with a BOM (so Excel reads it), Chinese headers, one row per line, then the
    /// adjustments, the operating subsidy, what each funder pays (of the subsidies and the
    /// adjustments' subsidies), then the total.
    public static func csv(_ claim: Claim) -> String {
        let site: [CSV.Cell] = [.text(claim.siteCode), .text(claim.siteName), .text(claim.street), .text(claim.month.description)]
        var text = CSV.byteOrderMark
        text += CSV.line(["食堂编码", "食堂名称", "街道", "申报月份", "老人编号", "姓名", "身份证号", "补贴档次", "困难类别", "就餐次数", "补贴金额(元)"])
        for line in claim.lines {
            text += CSV.line(site + [.count(line.dinerID), .text(line.name), .text(line.residentIDMasked), .text(line.bracket),
                                     .text(categories(line.categories)), .count(line.meals), .number(yuan(line.subsidyFen))])
        }
        for adjustment in claim.adjustments {
            let operating = adjustment.operatingFen == 0 ? "" : "，含运营补贴 \(yuan(adjustment.operatingFen))"
            text += CSV.line(site + [.count(adjustment.dinerID), .text("调整：作废餐次 \(adjustment.mealID)（\(adjustment.servedOn)）\(operating)"),
                                     "", "", "", "", .number(yuan(adjustment.totalFen))])
        }
        text += CSV.line(site + ["", "运营补贴", "", .text("\(claim.operating.dinerDays)人日"), "", "", .number(yuan(claim.operating.fen))])
        for share in fundersInFull(claim.funders) {
            text += CSV.line(site + ["", .text(share.funder.chineseName), "", "补贴资金来源", "", "", .number(yuan(share.shareFen))])
        }
        text += CSV.line(site + ["", "合计", "", "", "", .count(claim.meals), .number(yuan(claim.totalFen))])
        return text
    }

    /// Every funder, in the SPEC's order, with what it pays (zero when it pays nothing): a
    /// document for officials always has the same rows.
    static func fundersInFull(_ funders: [FundingShare]) -> [FundingShare] {
        Funder.allCases.map { funder in FundingShare(funder, funders.first { $0.funder == funder }?.shareFen ?? 0) }
    }

    /// `低保对象、特困人员`; empty for an age tier.
    static func categories(_ categories: [DinerCategory]) -> String {
        categories.map(\.chineseName).joined(separator: "、")
    }

    /// `1234` fen → `12.34` (plain figures for spreadsheets).
    static func yuan(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let m = fen.magnitude
        return "\(sign)\(m / 100).\(m % 100 < 10 ? "0" : "")\(m % 100)"
    }

    /// The printable form, rendered from a Mustache template (values are HTML-escaped by it).
    public static func html(_ claim: Claim, printedAt: String) throws -> String {
        let template = try MustacheTemplate(string: ClaimFormTemplate.text)
        let context: [String: Any] = [
            "site_code": claim.siteCode,
            "site_name": claim.siteName,
            // Every printed page names the canteen and the month (a CSS string: escaped here, not as HTML).
            "page_head": cssString("幸福食堂老年人就餐补贴申报表　\(claim.siteName)（\(claim.siteCode)）　\(claim.month.year)年\(claim.month.month)月"),
            "street": claim.street,
            "month": "\(claim.month.year)年\(claim.month.month)月",
            "status": claim.status.chineseLabel,
            "claim_id": String(claim.id),
            "brackets": claim.brackets.map { ["bracket": bracketLabel($0.bracket), "categories": $0.categories.isEmpty ? "—" : categories($0.categories),
                                              "meals": String($0.meals), "diners": String($0.diners), "subsidy": Money(fen: $0.subsidyFen).description] },
            // Two diners a row, so a canteen of 30 diners fits one A4 page; the header repeats on every page.
            "two_columns": claim.lines.count > 12,
            "line_rows": lineRows(claim.lines),
            "has_adjustments": !claim.adjustments.isEmpty,
            "adjustments": claim.adjustments.map {
                ["meal_id": String($0.mealID), "served_on": $0.servedOn.chinese, "reason": $0.reason,
                 "subsidy": Money(fen: $0.subsidyFen).description, "operating": Money(fen: $0.operatingFen).description]
            },
            "has_checks": !claim.checks.isEmpty,
            "checks": claim.checks.map {
                ["label": $0.chineseLabel, "severity": $0.severity == .blocking ? "须说明" : "提示", "count": String($0.count)]
            },
            "has_override": claim.overrideReason != nil,
            "override_reason": claim.overrideReason ?? "",
            "meals": String(claim.meals),
            "diners": String(claim.diners),
            "subsidy": Money(fen: claim.subsidyFen).description,
            "adjustment": Money(fen: claim.adjustmentFen).description,
            "operating_days": String(claim.operating.dinerDays),
            "operating": Money(fen: claim.operating.fen).description,
            "funders": fundersInFull(claim.funders).map { ["name": $0.funder.chineseName, "amount": Money(fen: $0.shareFen).description] },
            "funders_total": Money(fen: claim.funders.reduce(0) { $0 + $1.shareFen }).description,
            "total": Money(fen: claim.totalFen).description,
            "total_capital": ChineseAmount.capital(fen: claim.totalFen),
            "printed_at": LocalDate.chineseTimestamp(printedAt),
            "approval_comment": claim.approvalComment ?? "",
            "has_payment": claim.paidOn != nil,
            "paid_on": claim.paidOn?.chinese ?? "",
            "payment_reference": claim.paymentReference ?? "—",
            // The history without the builds: who submitted, returned (and why), approved, paid.
            "has_history": claim.events.contains { $0.action != .build && $0.action != .rebuild },
            "history": claim.events.filter { $0.action != .build && $0.action != .rebuild }.map { event -> [String: Any] in
                let note = [event.reason.map { "理由：\($0)" }, event.comment.map { "意见：\($0)" },
                            event.reference.map { "凭证号：\($0)" }].compactMap { $0 }.joined(separator: "，")
                return ["at": LocalDate.chineseTimestamp(event.at), "action": event.action.chineseLabel, "actor": event.actor,
                        "note": note.isEmpty ? "" : "（\(note)）"]
            },
        ]
        return template.render(context)
    }

    /// The lines as table rows: one diner a row for a short list, else two (the first half down
    /// the left, the second down the right, so the numbers read down each side).
    static func lineRows(_ lines: [ClaimLine]) -> [[String: Any]] {
        let cells = lines.enumerated().map { index, line -> [String: Any] in
            ["no": String(index + 1), "name": line.name, "resident_id": line.residentIDMasked, "bracket": bracketLabel(line.bracket),
             "meals": String(line.meals), "subsidy": Money(fen: line.subsidyFen).description]
        }
        guard cells.count > 12 else { return cells.map { ["cells": [$0]] } }
        let half = (cells.count + 1) / 2
        return (0..<half).map { i in
            var left = cells[i]
            left["gap"] = true
            return ["cells": [left, half + i < cells.count ? cells[half + i] : blankCell]]
        }
    }

    static var blankCell: [String: Any] { ["no": "", "name": "", "resident_id": "", "bracket": "", "meals": "", "subsidy": ""] }

    /// `text` as a CSS string literal: quotes and backslashes escaped, and `<` too, so the style
    /// element cannot be closed by a site's name.
    static func cssString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\": out += "\\" + String(scalar)
            case "<", ">", "&": out += "\\" + String(scalar.value, radix: 16) + " "
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A bracket as the policy names it; meals no tier held, as officials say it.
    static func bracketLabel(_ bracket: String) -> String {
        bracket == SubsidyPolicy.noTierBracket ? "不享受补贴" : bracket
    }
}

enum ClaimFormTemplate {
    static let text = """
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <title>幸福食堂老年人就餐补贴申报表 {{site_name}} {{month}}</title>
    <style>
      @page {
        size: A4; margin: 13mm 13mm 13mm 13mm;
        @top-center { content: {{{page_head}}}; font-size: 8.5pt; color: #333; }
        @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 8.5pt; }
      }
      body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", SimSun, serif; font-size: 10.5pt; color: #000; margin: 0; }
      h1 { font-size: 16pt; text-align: center; letter-spacing: 2pt; margin: 0 0 2.5mm; }
      .meta { display: flex; justify-content: space-between; margin-bottom: 2mm; }
      table { width: 100%; border-collapse: collapse; margin-bottom: 2mm; }
      th, td { border: 0.6pt solid #000; padding: 0.6mm 1.5mm; }
      th { background: #eee; font-weight: bold; }
      td.n { text-align: right; font-variant-numeric: tabular-nums; }
      td.c { text-align: center; }
      h2 { font-size: 11pt; margin: 1.5mm 0 1mm; }
      thead { display: table-header-group; }
      tr { break-inside: avoid; }
      .lines th, .lines td { padding: 0.3mm 1mm; font-size: 8.5pt; white-space: nowrap; }
      .lines td.gap, .lines th.gap { border: none; width: 3mm; padding: 0; }
      .total { font-size: 12pt; font-weight: bold; }
      .sums td { white-space: nowrap; }
      .checks { margin: 0 0 2mm; font-size: 9pt; }
      .checks span + span::before { content: "；"; }
      .closing { break-inside: avoid; }
      .signatures { display: flex; gap: 4mm; margin-top: 2mm; }
      .box { flex: 1; border: 0.6pt solid #000; height: 25mm; padding: 1.5mm 2mm; position: relative; line-height: 1.5; }
      .box .stamp { position: absolute; right: 2mm; bottom: 2mm; width: 17mm; height: 17mm; border: 0.6pt dashed #666; border-radius: 50%;
                    display: flex; align-items: center; justify-content: center; color: #666; font-size: 9pt; }
      .foot { margin-top: 2mm; font-size: 8.5pt; color: #333; }
      .pay { margin: 2mm 0 0; }
      .history { margin: 1mm 0 0; font-size: 8.5pt; }
      .history span + span::before { content: "；"; }
    </style>
    </head>
    <body>
    <h1>幸福食堂老年人就餐补贴申报表</h1>
    <div class="meta">
      <span>食堂：{{site_name}}（{{site_code}}）</span>
      <span>街道：{{street}}</span>
      <span>申报月份：{{month}}</span>
      <span>状态：{{status}}　编号：{{claim_id}}</span>
    </div>
    <h2>一、分档次汇总</h2>
    <table>
      <tr><th>补贴档次</th><th>困难类别</th><th>就餐人数</th><th>就餐次数</th><th>补贴金额</th></tr>
      {{#brackets}}<tr><td>{{bracket}}</td><td>{{categories}}</td><td class="n">{{diners}}</td><td class="n">{{meals}}</td><td class="n">{{subsidy}}</td></tr>
      {{/brackets}}<tr><td>小计</td><td></td><td class="n">{{diners}}</td><td class="n">{{meals}}</td><td class="n">{{subsidy}}</td></tr>
    </table>
    <h2>二、就餐老人明细</h2>
    <table class="lines">
      <thead><tr><th>序号</th><th>姓名</th><th>身份证号</th><th>档次</th><th>餐次</th><th>补贴</th>{{#two_columns}}<th class="gap"></th><th>序号</th><th>姓名</th><th>身份证号</th><th>档次</th><th>餐次</th><th>补贴</th>{{/two_columns}}</tr></thead>
      <tbody>
      {{#line_rows}}<tr>{{#cells}}<td class="c">{{no}}</td><td>{{name}}</td><td class="c">{{resident_id}}</td><td>{{bracket}}</td><td class="n">{{meals}}</td><td class="n">{{subsidy}}</td>{{#gap}}<td class="gap"></td>{{/gap}}{{/cells}}</tr>
      {{/line_rows}}
      </tbody>
    </table>
    {{#has_adjustments}}
    <h2>三、调整（已申报月份作废的餐次）</h2>
    <table>
      <tr><th>餐次编号</th><th>就餐日期</th><th>原因</th><th>补贴调整</th><th>运营补贴调整</th></tr>
      {{#adjustments}}<tr><td class="c">{{meal_id}}</td><td class="c">{{served_on}}</td><td>{{reason}}</td><td class="n">{{subsidy}}</td><td class="n">{{operating}}</td></tr>
      {{/adjustments}}
    </table>
    {{/has_adjustments}}
    {{#has_checks}}
    <p class="checks">申报前核查：{{#checks}}<span>{{label}}（{{severity}}）{{count}} 条</span>{{/checks}}</p>
    {{/has_checks}}
    {{#has_override}}<p>核查情况说明：{{override_reason}}</p>{{/has_override}}
    <div class="closing">
    <table class="sums">
      <tr><th>餐费补贴资金来源（含调整）</th>{{#funders}}<th>{{name}}</th>{{/funders}}<th>合计</th></tr>
      <tr><td>金额</td>{{#funders}}<td class="n">{{amount}}</td>{{/funders}}<td class="n">{{funders_total}}</td></tr>
      <tr><td>餐费补贴小计 {{subsidy}}</td><td colspan="2">运营补贴（{{operating_days}} 人日）{{operating}}</td><td colspan="2">调整 {{adjustment}}</td></tr>
      <tr class="total"><td>申报合计（小写）{{total}}</td><td colspan="4">申报合计（大写）{{total_capital}}</td></tr>
    </table>
    <div class="signatures">
      <div class="box">食堂经营者（签字）：<br><br>日期：<div class="stamp">盖章</div></div>
      <div class="box">街道办事处审核意见：<br><br>审核人（签字）：<br>日期：<div class="stamp">盖章</div></div>
      <div class="box">民政局审批意见：{{approval_comment}}<br><br>审批人（签字）：<br>日期：<div class="stamp">盖章</div></div>
    </div>
    {{#has_payment}}<p class="pay">拨付日期：{{paid_on}}　支付凭证号：{{payment_reference}}</p>{{/has_payment}}
    {{#has_history}}<p class="history">办理记录：{{#history}}<span>{{at}} {{action}} {{actor}}{{note}}</span>{{/history}}</p>{{/has_history}}
    <p class="foot">身份证号仅显示前6位和后4位。打印时间：{{printed_at}}</p>
    </div>
    </body>
    </html>
    """
}
