import CanteenDomain
import Mustache

/// The monthly report for officials: CSV, and a printable HTML overview with inline SVG charts.
public enum ReportDocument {
    public static func csv(_ report: ReportService.MonthlyReport) -> String {
        var text = CSV.byteOrderMark
        let funders = Funder.allCases.map { "\($0.chineseName)(元)" }
        text += CSV.line(["月份", "街道", "食堂编码", "食堂名称", "就餐次数", "补贴餐次", "就餐人数", "补贴金额(元)", "运营补贴(元)"]
                         + funders.map(CSV.Cell.text) + ["申报状态"])
        func amounts(_ shares: [FundingShare]) -> [CSV.Cell] {
            ClaimDocument.fundersInFull(shares).map { .number(ClaimDocument.yuan($0.shareFen)) }
        }
        for s in report.sites {
            text += CSV.line([.text(report.month.description), .text(s.street), .text(s.siteCode), .text(s.name), .count(s.meals),
                              .count(s.subsidizedMeals), .count(s.diners), .number(ClaimDocument.yuan(s.subsidyFen)),
                              .number(ClaimDocument.yuan(s.operatingSubsidyFen))]
                             + amounts(s.funders) + [.text(s.claimStatus?.chineseLabel ?? "未申报")])
        }
        let t = report.totals
        text += CSV.line([.text(report.month.description), .text(report.street ?? "全部"), "", "合计", .count(t.meals),
                          .count(t.subsidizedMeals), .count(t.diners), .number(ClaimDocument.yuan(t.subsidyFen)),
                          .number(ClaimDocument.yuan(t.operatingSubsidyFen))] + amounts(report.funders) + [""])
        return text
    }

    public static func html(_ report: ReportService.MonthlyReport, printedAt: String) throws -> String {
        let template = try MustacheTemplate(string: ReportTemplate.text)
        let maxSubsidy = max(1, report.sites.map(\.subsidyFen).max() ?? 1)
        let barHeight = 16, gap = 6, labelWidth = 190, chartWidth = 460
        let bars = report.sites.enumerated().map { index, site -> [String: Any] in
            let width = Int((Double(site.subsidyFen) / Double(maxSubsidy) * Double(chartWidth)).rounded())
            return ["y": String(index * (barHeight + gap)), "text_y": String(index * (barHeight + gap) + barHeight - 4),
                    "width": String(max(width, 1)), "label": site.name, "value": Money(fen: site.subsidyFen).description,
                    "value_x": String(labelWidth + max(width, 1) + 4), "label_x": String(labelWidth - 6), "bar_x": String(labelWidth),
                    "height": String(barHeight)]
        }
        let maxDay = max(1, report.days.map(\.meals).max() ?? 1)
        let dayCount = max(1, LocalDate.daysIn(month: report.month.month, year: report.month.year))
        let columnWidth = 640 / dayCount
        let columns = report.days.map { day -> [String: Any] in
            let height = Int((Double(day.meals) / Double(maxDay) * 120).rounded())
            return ["x": String((day.date.day - 1) * columnWidth + 30), "y": String(140 - height), "height": String(max(height, 1)),
                    "width": String(max(columnWidth - 2, 1)), "day": String(day.date.day), "meals": String(day.meals),
                    "label_x": String((day.date.day - 1) * columnWidth + 30 + columnWidth / 2)]
        }
        let context: [String: Any] = [
            "month": "\(report.month.year)年\(report.month.month)月",
            "street": report.street ?? "全部街道",
            "sites": report.sites.map {
                ["site_code": $0.siteCode, "name": $0.name, "street": $0.street, "meals": String($0.meals),
                 "subsidized": String($0.subsidizedMeals), "diners": String($0.diners), "subsidy": Money(fen: $0.subsidyFen).description,
                 "operating": Money(fen: $0.operatingSubsidyFen).description, "claim": $0.claimStatus?.chineseLabel ?? "未申报"]
            },
            "brackets": report.brackets.map {
                ["bracket": ClaimDocument.bracketLabel($0.bracket), "categories": $0.categories.isEmpty ? "—" : ClaimDocument.categories($0.categories),
                 "meals": String($0.meals), "diners": String($0.diners),
                 "subsidy": Money(fen: $0.subsidyFen).description]
            },
            "bars": bars,
            "bars_height": String(max(1, report.sites.count) * (barHeight + gap)),
            "columns": columns,
            "meals": String(report.totals.meals),
            "subsidized": String(report.totals.subsidizedMeals),
            "diners": String(report.totals.diners),
            "subsidy": Money(fen: report.totals.subsidyFen).description,
            "operating": Money(fen: report.totals.operatingSubsidyFen).description,
            "funders": ClaimDocument.fundersInFull(report.funders).map { ["name": $0.funder.chineseName, "amount": Money(fen: $0.shareFen).description] },
            "subsidy_capital": ChineseAmount.capital(fen: report.totals.subsidyFen),
            "printed_at": printedAt,
        ]
        return template.render(context)
    }
}

enum ReportTemplate {
    static let text = """
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <title>幸福食堂月度运营报表 {{street}} {{month}}</title>
    <style>
      @page { size: A4; margin: 14mm; }
      body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", sans-serif; font-size: 10pt; margin: 0; }
      h1 { font-size: 16pt; text-align: center; margin: 0 0 3mm; }
      .meta { text-align: center; margin-bottom: 4mm; }
      table { width: 100%; border-collapse: collapse; margin-bottom: 4mm; }
      th, td { border: 0.6pt solid #000; padding: 0.8mm 1.5mm; }
      th { background: #eee; }
      td.n { text-align: right; }
      h2 { font-size: 11pt; margin: 3mm 0 1.5mm; }
      svg text { font-size: 9px; font-family: inherit; }
      .foot { font-size: 8.5pt; color: #333; }
    </style>
    </head>
    <body>
    <h1>幸福食堂月度运营报表</h1>
    <div class="meta">{{street}}　{{month}}</div>
    <table>
      <tr><th>食堂</th><th>街道</th><th>就餐次数</th><th>补贴餐次</th><th>就餐人数</th><th>补贴金额</th><th>运营补贴</th><th>申报状态</th></tr>
      {{#sites}}<tr><td>{{name}}（{{site_code}}）</td><td>{{street}}</td><td class="n">{{meals}}</td><td class="n">{{subsidized}}</td><td class="n">{{diners}}</td><td class="n">{{subsidy}}</td><td class="n">{{operating}}</td><td>{{claim}}</td></tr>
      {{/sites}}<tr><th>合计</th><th></th><th class="n">{{meals}}</th><th class="n">{{subsidized}}</th><th class="n">{{diners}}</th><th class="n">{{subsidy}}</th><th class="n">{{operating}}</th><th></th></tr>
    </table>
    <p>补贴合计（大写）：{{subsidy_capital}}</p>
    <table>
      <tr><th>补贴资金来源</th>{{#funders}}<th>{{name}}</th>{{/funders}}</tr>
      <tr><td>金额</td>{{#funders}}<td class="n">{{amount}}</td>{{/funders}}</tr>
    </table>
    <h2>各食堂补贴金额</h2>
    <svg width="720" height="{{bars_height}}" role="img" aria-label="各食堂补贴金额">
      {{#bars}}<text x="{{label_x}}" y="{{text_y}}" text-anchor="end">{{label}}</text>
      <rect x="{{bar_x}}" y="{{y}}" width="{{width}}" height="{{height}}" fill="#c0392b"></rect>
      <text x="{{value_x}}" y="{{text_y}}">{{value}}</text>
      {{/bars}}
    </svg>
    <h2>每日就餐次数</h2>
    <svg width="700" height="160" role="img" aria-label="每日就餐次数">
      <line x1="28" y1="140" x2="690" y2="140" stroke="#000" stroke-width="0.6"></line>
      {{#columns}}<rect x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}" fill="#2c7fb8"><title>{{day}}日 {{meals}}</title></rect>
      <text x="{{label_x}}" y="152" text-anchor="middle">{{day}}</text>
      {{/columns}}
    </svg>
    <h2>分档次</h2>
    <table>
      <tr><th>补贴档次</th><th>困难类别</th><th>就餐人数</th><th>就餐次数</th><th>补贴金额</th></tr>
      {{#brackets}}<tr><td>{{bracket}}</td><td>{{categories}}</td><td class="n">{{diners}}</td><td class="n">{{meals}}</td><td class="n">{{subsidy}}</td></tr>
      {{/brackets}}
    </table>
    <p class="foot">打印时间：{{printed_at}}</p>
    </body>
    </html>
    """
}
