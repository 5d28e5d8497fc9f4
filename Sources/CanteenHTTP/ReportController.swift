import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/reports/monthly`: JSON, or a CSV or HTML document for officials.
struct ReportController {
    let services: CanteenServices

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.get("reports/monthly") { request, context -> Response in
            let report = try await services.reports.monthly(month: request.query("month"), street: request.query("street"), by: context.principal)
            switch request.query("format") {
            case nil, "json": return try JSONResponse(value: Components.Schemas.MonthlyReport(report)).response(from: request, context: context)
            case "csv": return try DocumentResponse(contentType: "text/csv; charset=utf-8", text: ReportDocument.csv(report)).response(from: request, context: context)
            case "html":
                let html = try ReportDocument.html(report, printedAt: services.clock.timestamp(services.clock.currentDate()))
                return try DocumentResponse(contentType: "text/html; charset=utf-8", text: html).response(from: request, context: context)
            default: throw CanteenError.invalidRequest("format must be json, csv or html", field: "format")
            }
        }
        return routes
    }
}
