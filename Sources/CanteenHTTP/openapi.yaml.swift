/// The OpenAPI 3.1 document of the API, served at `GET /openapi.yaml`. `make test` runs
/// schemathesis against a live server to keep the server and this document in step.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: 幸福食堂 (happiness canteen) backend
  version: 1.0.0
  description: |
    Community canteens where elderly people eat a hot meal and the government pays part of every meal.
    Money is integer fen; dates are YYYY-MM-DD in the service's time zone; errors are application/problem+json.
servers:
  - url: /
security:
  - bearer: []
tags:
  - name: service
  - name: sites
  - name: policies
  - name: diners
  - name: meals
  - name: claims
  - name: admin
paths:
  /health:
    get:
      tags: [service]
      security: []
      summary: Liveness
      responses:
        "200": {description: alive, content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}}
        "400": {$ref: "#/components/responses/Problem"}
  /ready:
    get:
      tags: [service]
      security: []
      summary: Readiness (the database answers)
      responses:
        "200": {description: ready, content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "503": {description: the database is unreachable, content: {application/json: {schema: {$ref: "#/components/schemas/Status"}}}}
  /openapi.yaml:
    get:
      tags: [service]
      security: []
      summary: This document
      responses:
        "200": {description: the OpenAPI document, content: {application/yaml: {schema: {type: string}}}}
        "400": {$ref: "#/components/responses/Problem"}
  /v1/sites:
    post:
      tags: [sites]
      summary: Set up a canteen site
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/SiteInput"}}}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Site"}}}
          links:
            GetSite: {operationId: getSite, parameters: {code: "$response.body#/code"}}
            PatchSite: {operationId: patchSite, parameters: {code: "$response.body#/code"}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    get:
      tags: [sites]
      summary: List sites (operators see their own)
      parameters:
        - {name: street, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {type: string, enum: [preparing, operating, closed]}}
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/SitePage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/sites/{code}:
    parameters:
      - {name: code, in: path, required: true, schema: {type: string}}
    get:
      tags: [sites]
      summary: One site
      operationId: getSite
      responses:
        "200": {description: the site, content: {application/json: {schema: {$ref: "#/components/schemas/Site"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    patch:
      tags: [sites]
      summary: Change a site (closes_on closes it; null reopens)
      operationId: patchSite
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/SitePatch"}}}}
      responses:
        "200": {description: the site, content: {application/json: {schema: {$ref: "#/components/schemas/Site"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/policies:
    get:
      tags: [policies]
      summary: Every subsidy policy, oldest first
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: the policies, content: {application/json: {schema: {$ref: "#/components/schemas/PolicyPage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    post:
      tags: [policies]
      summary: Add a policy effective from a date
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/PolicyInput"}}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "#/components/schemas/Policy"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/policies/current:
    get:
      tags: [policies]
      summary: The policy in force on a date (default today)
      parameters:
        - {name: "on", in: query, schema: {type: string, format: date}}
      responses:
        "200": {description: the policy, content: {application/json: {schema: {$ref: "#/components/schemas/Policy"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/diners:
    post:
      tags: [diners]
      summary: Register a diner (birth date and sex come from the resident ID)
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/DinerInput"}}}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Diner"}}}
          links:
            GetDiner: {operationId: getDiner, parameters: {id: "$response.body#/id"}}
            PatchDiner: {operationId: patchDiner, parameters: {id: "$response.body#/id"}}
            SetDinerStatus: {operationId: setDinerStatus, parameters: {id: "$response.body#/id"}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    get:
      tags: [diners]
      summary: List diners (operators see their sites' diners)
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: community, in: query, schema: {type: string}}
        - {name: home_site, in: query, schema: {type: string}}
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/DinerPage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/diners/lookup:
    get:
      tags: [diners]
      summary: Find a diner by resident ID or card, with today's subsidy
      parameters:
        - {name: resident_id, in: query, schema: {type: string}}
        - {name: card_no, in: query, schema: {type: string}}
        - {name: site_code, in: query, schema: {type: string}}
      responses:
        "200": {description: the diner and today, content: {application/json: {schema: {$ref: "#/components/schemas/DinerLookup"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/diners/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      tags: [diners]
      summary: One diner (the full resident_id for admin and bureau only)
      operationId: getDiner
      responses:
        "200": {description: the diner, content: {application/json: {schema: {$ref: "#/components/schemas/Diner"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    patch:
      tags: [diners]
      summary: Change a diner's contact details, home site or card
      operationId: patchDiner
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/DinerPatch"}}}}
      responses:
        "200": {description: the diner, content: {application/json: {schema: {$ref: "#/components/schemas/Diner"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/diners/{id}/status:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [diners]
      summary: Change a diner's status from a date on
      operationId: setDinerStatus
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [status, effective_on]
              properties:
                status: {$ref: "#/components/schemas/DinerStatus"}
                effective_on: {type: string, format: date}
      responses:
        "200": {description: the diner, content: {application/json: {schema: {$ref: "#/components/schemas/Diner"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/meals:
    post:
      tags: [meals]
      summary: Log a meal at the counter
      parameters:
        - {name: Idempotency-Key, in: header, schema: {type: string, minLength: 1, maxLength: 100}}
      requestBody: {required: true, content: {application/json: {schema: {$ref: "#/components/schemas/MealInput"}}}}
      responses:
        "201":
          description: logged
          content: {application/json: {schema: {$ref: "#/components/schemas/Meal"}}}
          links:
            GetMeal: {operationId: getMeal, parameters: {id: "$response.body#/id"}}
            VoidMeal: {operationId: voidMeal, parameters: {id: "$response.body#/id"}}
        "200":
          description: a replay of the same Idempotency-Key and content; the meal first created
          headers: {Idempotent-Replayed: {schema: {type: string, enum: ["true"]}}}
          content: {application/json: {schema: {$ref: "#/components/schemas/Meal"}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    get:
      tags: [meals]
      summary: List meals (operators see their sites' meals)
      parameters:
        - {name: site_code, in: query, schema: {type: string}}
        - {name: diner_id, in: query, schema: {type: integer}}
        - {name: from, in: query, schema: {type: string, format: date}}
        - {name: to, in: query, schema: {type: string, format: date}}
        - {name: status, in: query, schema: {type: string, enum: [valid, void]}}
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/MealPage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/meals/batch:
    post:
      tags: [meals]
      summary: Log up to 1000 meals, each independently (offline card readers)
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [meals]
              properties:
                meals: {type: array, maxItems: 1000, items: {$ref: "#/components/schemas/MealInput"}}
      responses:
        "200":
          description: one result per item, in order
          content:
            application/json:
              schema:
                type: object
                required: [results]
                properties:
                  results: {type: array, items: {$ref: "#/components/schemas/BatchResult"}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/meals/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      tags: [meals]
      summary: One meal
      operationId: getMeal
      responses:
        "200": {description: the meal, content: {application/json: {schema: {$ref: "#/components/schemas/Meal"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/meals/{id}/void:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [meals]
      summary: Void a meal (kept, marked void; in a closed month it becomes an adjustment)
      operationId: voidMeal
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1, maxLength: 500}}}}}
      responses:
        "200": {description: the void meal, content: {application/json: {schema: {$ref: "#/components/schemas/Meal"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/subsidy-quote:
    get:
      tags: [meals]
      summary: What a meal would cost without logging anything
      parameters:
        - {name: diner_id, in: query, required: true, schema: {type: integer}}
        - {name: served_on, in: query, schema: {type: string, format: date}}
        - {name: slot, in: query, required: true, schema: {$ref: "#/components/schemas/Slot"}}
        - {name: price_fen, in: query, required: true, schema: {type: integer, minimum: 0, maximum: 100000}}
      responses:
        "200": {description: the quote, content: {application/json: {schema: {$ref: "#/components/schemas/Quote"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/claims:
    post:
      tags: [claims]
      summary: Build (201) or refresh (200) the draft claim of a site and month
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [site_code, month]
              properties:
                site_code: {type: string}
                month: {type: string, pattern: "^[0-9]{4}-[0-9]{2}$"}
      responses:
        "201":
          description: a new draft
          content: {application/json: {schema: {$ref: "#/components/schemas/Claim"}}}
          links:
            GetClaim: {operationId: getClaim, parameters: {id: "$response.body#/id"}}
            ExportClaim: {operationId: exportClaim, parameters: {id: "$response.body#/id"}}
            SubmitClaim: {operationId: submitClaim, parameters: {id: "$response.body#/id"}}
            ApproveClaim: {operationId: approveClaim, parameters: {id: "$response.body#/id"}}
            PayClaim: {operationId: payClaim, parameters: {id: "$response.body#/id"}}
            RejectClaim: {operationId: rejectClaim, parameters: {id: "$response.body#/id"}}
        "200": {description: the refreshed draft, content: {application/json: {schema: {$ref: "#/components/schemas/Claim"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
    get:
      tags: [claims]
      summary: List claims (without lines)
      parameters:
        - {name: month, in: query, schema: {type: string}}
        - {name: site_code, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {$ref: "#/components/schemas/ClaimStatus"}}
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/ClaimPage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/claims/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    get:
      tags: [claims]
      summary: A claim with its brackets, lines and adjustments
      operationId: getClaim
      responses:
        "200": {description: the claim, content: {application/json: {schema: {$ref: "#/components/schemas/Claim"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/claims/{id}/export:
    parameters:
      - {$ref: "#/components/parameters/id"}
      - {name: format, in: query, schema: {type: string, enum: [csv, html, json]}}
    get:
      tags: [claims]
      summary: The claim as CSV (UTF-8 with BOM), the printable A4 form (HTML) or JSON
      operationId: exportClaim
      responses:
        "200":
          description: the document
          content:
            text/csv: {schema: {type: string}}
            text/html: {schema: {type: string}}
            application/json: {schema: {$ref: "#/components/schemas/Claim"}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/claims/{id}/submit:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [claims]
      summary: Submit a draft after its month has ended
      operationId: submitClaim
      requestBody: {required: false, content: {application/json: {schema: {type: object, properties: {override_reason: {type: string, maxLength: 500}}}}}}
      responses: &transition
        "200": {description: the claim, content: {application/json: {schema: {$ref: "#/components/schemas/Claim"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/claims/{id}/approve:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [claims]
      summary: Approve a submitted claim
      operationId: approveClaim
      responses: *transition
  /v1/claims/{id}/pay:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [claims]
      summary: Record the payment of an approved claim
      operationId: payClaim
      responses: *transition
  /v1/claims/{id}/reject:
    parameters:
      - {$ref: "#/components/parameters/id"}
    post:
      tags: [claims]
      summary: Reject a submitted claim; its month opens again
      operationId: rejectClaim
      requestBody: {required: true, content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1, maxLength: 500}}}}}}
      responses: *transition
  /v1/reports/monthly:
    get:
      tags: [claims]
      summary: The monthly report across canteens (admin, bureau)
      parameters:
        - {name: month, in: query, required: true, schema: {type: string, pattern: "^[0-9]{4}-[0-9]{2}$"}}
        - {name: street, in: query, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv, html]}}
      responses:
        "200":
          description: the report
          content:
            application/json: {schema: {$ref: "#/components/schemas/MonthlyReport"}}
            text/csv: {schema: {type: string}}
            text/html: {schema: {type: string}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/tokens:
    post:
      tags: [admin]
      summary: Issue an API token (admin); the secret is shown once
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, role]
              properties:
                name: {type: string, minLength: 1, maxLength: 64}
                role: {type: string, enum: [admin, bureau, operator]}
                site_codes: {type: array, items: {type: string}}
      responses:
        "201":
          description: the token
          content:
            application/json:
              schema:
                type: object
                required: [id, name, role, site_codes, token]
                properties:
                  id: {type: integer}
                  name: {type: string}
                  role: {type: string, enum: [admin, bureau, operator]}
                  site_codes: {type: array, items: {type: string}}
                  token: {type: string}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "422": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/tokens/{id}:
    parameters:
      - {$ref: "#/components/parameters/id"}
    delete:
      tags: [admin]
      summary: Revoke a token (admin)
      responses:
        "204": {description: revoked}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
  /v1/audit:
    get:
      tags: [admin]
      summary: The audit log (admin, bureau)
      parameters:
        - {name: entity, in: query, schema: {type: string, enum: [site, diner, policy, meal, claim, token]}}
        - {name: entity_id, in: query, schema: {type: string}}
        - {$ref: "#/components/parameters/limit"}
        - {$ref: "#/components/parameters/cursor"}
      responses:
        "200": {description: a page, content: {application/json: {schema: {$ref: "#/components/schemas/AuditPage"}}}}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "403": {$ref: "#/components/responses/Problem"}
        "503": {$ref: "#/components/responses/Problem"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer, description: "An API token from `canteen token create` or POST /v1/tokens"}
  parameters:
    id: {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
    limit: {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 50}}
    cursor: {name: cursor, in: query, schema: {type: string}}
  responses:
    Problem:
      description: an error (RFC 9457)
      content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}
    "400": {$ref: "#/components/responses/Problem"}
  schemas:
    Status: {type: object, required: [status], properties: {status: {type: string}}}
    Problem:
      type: object
      required: [type, title, status, detail, code]
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        code:
          type: string
          enum: [invalid_request, unauthorized, forbidden, not_found, duplicate_meal, duplicate_resident_id, duplicate_card_no,
                 duplicate_site_code, period_closed, invalid_state, payload_too_large, invalid_resident_id, site_not_operating,
                 diner_inactive, invalid_date, invalid_price, idempotency_mismatch, validation_failed, too_many_requests, internal, unavailable]
        errors: {type: array, items: {type: object, required: [field, message], properties: {field: {type: string}, message: {type: string}}}}
        existing_meal_id: {type: integer}
        existing_diner_id: {type: integer}
    Slot: {type: string, enum: [breakfast, lunch, dinner]}
    DinerStatus: {type: string, enum: [active, suspended, deceased, moved_out]}
    ClaimStatus: {type: string, enum: [draft, submitted, approved, rejected, paid]}
    SiteInput:
      type: object
      required: [code, name, kind, street, opens_on]
      properties:
        code: {type: string, pattern: "^[A-Z0-9-]{2,32}$"}
        name: {type: string, minLength: 1, maxLength: 64}
        kind: {type: string, enum: [community_center, enterprise, village, other]}
        street: {type: string, minLength: 1, maxLength: 64}
        community: {type: [string, "null"], maxLength: 64}
        address: {type: [string, "null"], maxLength: 200}
        operator: {type: [string, "null"], maxLength: 64}
        phone: {type: [string, "null"], maxLength: 32}
        opens_on: {type: string, format: date}
        closes_on: {type: [string, "null"], format: date}
        slots: {type: array, items: {$ref: "#/components/schemas/Slot"}, minItems: 1, maxItems: 3}
        default_price_fen: {type: [integer, "null"], minimum: 0, maximum: 100000}
    SitePatch:
      type: object
      properties:
        name: {type: string}
        kind: {type: string, enum: [community_center, enterprise, village, other]}
        street: {type: string}
        community: {type: [string, "null"]}
        address: {type: [string, "null"]}
        operator: {type: [string, "null"]}
        phone: {type: [string, "null"]}
        opens_on: {type: string, format: date}
        closes_on: {type: [string, "null"], format: date}
        slots: {type: array, items: {$ref: "#/components/schemas/Slot"}}
        default_price_fen: {type: [integer, "null"]}
    Site:
      type: object
      required: [code, name, kind, street, community, address, operator, phone, opens_on, closes_on, slots, default_price_fen, status]
      properties:
        code: {type: string}
        name: {type: string}
        kind: {type: string, enum: [community_center, enterprise, village, other]}
        street: {type: string}
        community: {type: [string, "null"]}
        address: {type: [string, "null"]}
        operator: {type: [string, "null"]}
        phone: {type: [string, "null"]}
        opens_on: {type: string, format: date}
        closes_on: {type: [string, "null"], format: date}
        slots: {type: array, items: {$ref: "#/components/schemas/Slot"}}
        default_price_fen: {type: [integer, "null"]}
        status: {type: string, enum: [preparing, operating, closed]}
    SitePage: {type: object, required: [items, next_cursor], properties: {items: {type: array, items: {$ref: "#/components/schemas/Site"}}, next_cursor: {type: [string, "null"]}}}
    Tier:
      type: object
      required: [label, min_age, max_age, subsidy_fen]
      properties:
        label: {type: string}
        min_age: {type: integer}
        max_age: {type: [integer, "null"]}
        subsidy_fen: {type: integer}
    PolicyInput:
      type: object
      required: [effective_from, tiers]
      properties:
        effective_from: {type: string, format: date}
        tiers: {type: array, items: {$ref: "#/components/schemas/Tier"}}
        max_subsidized_meals_per_day: {type: [integer, "null"], minimum: 1, maximum: 3}
    Policy:
      type: object
      required: [effective_from, tiers, max_subsidized_meals_per_day]
      properties:
        id: {type: integer}
        effective_from: {type: string, format: date}
        tiers: {type: array, items: {$ref: "#/components/schemas/Tier"}}
        max_subsidized_meals_per_day: {type: [integer, "null"]}
    PolicyPage: {type: object, required: [items, next_cursor], properties: {items: {type: array, items: {$ref: "#/components/schemas/Policy"}}, next_cursor: {type: [string, "null"]}}}
    DinerInput:
      type: object
      required: [name, resident_id]
      properties:
        name: {type: string, minLength: 1, maxLength: 64}
        resident_id: {type: string}
        phone: {type: [string, "null"]}
        address: {type: [string, "null"]}
        community: {type: [string, "null"]}
        home_site: {type: [string, "null"]}
        card_no: {type: [string, "null"]}
    DinerPatch:
      type: object
      properties:
        name: {type: string}
        phone: {type: [string, "null"]}
        address: {type: [string, "null"]}
        community: {type: [string, "null"]}
        home_site: {type: [string, "null"]}
        card_no: {type: [string, "null"]}
    Diner:
      type: object
      required: [id, name, resident_id_masked, sex, birth_date, phone, address, community, home_site, card_no, status, registered_at]
      properties:
        id: {type: integer}
        name: {type: string}
        resident_id_masked: {type: string}
        resident_id: {type: string, description: "only in GET /v1/diners/{id}, for admin and bureau"}
        sex: {type: string, enum: [M, F]}
        birth_date: {type: string, format: date}
        phone: {type: [string, "null"]}
        address: {type: [string, "null"]}
        community: {type: [string, "null"]}
        home_site: {type: [string, "null"]}
        card_no: {type: [string, "null"]}
        status: {$ref: "#/components/schemas/DinerStatus"}
        registered_at: {type: string, format: date-time}
    DinerPage: {type: object, required: [items, next_cursor], properties: {items: {type: array, items: {$ref: "#/components/schemas/Diner"}}, next_cursor: {type: [string, "null"]}}}
    DinerLookup:
      allOf:
        - {$ref: "#/components/schemas/Diner"}
        - type: object
          required: [today]
          properties:
            today:
              type: object
              required: [age, bracket, slots]
              properties:
                date: {type: string, format: date}
                age: {type: integer}
                bracket: {type: string}
                status: {$ref: "#/components/schemas/DinerStatus"}
                slots:
                  type: array
                  items:
                    type: object
                    required: [slot, subsidy_fen, already_served]
                    properties:
                      slot: {$ref: "#/components/schemas/Slot"}
                      subsidy_fen: {type: integer}
                      already_served: {type: boolean}
    MealInput:
      type: object
      required: [site_code, slot]
      properties:
        client_ref: {type: string, minLength: 1, maxLength: 100}
        site_code: {type: string}
        diner_id: {type: integer}
        resident_id: {type: string}
        card_no: {type: string}
        slot: {$ref: "#/components/schemas/Slot"}
        price_fen: {type: integer, minimum: 0, maximum: 100000}
        served_on: {type: string, format: date}
        delivery: {type: boolean}
    Meal:
      type: object
      required: [id, diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket, subsidy_fen, payable_fen, status, claim_id, created_at]
      properties:
        id: {type: integer}
        diner_id: {type: integer}
        site_code: {type: string}
        served_on: {type: string, format: date}
        slot: {$ref: "#/components/schemas/Slot"}
        price_fen: {type: integer}
        delivery: {type: boolean}
        age: {type: integer}
        bracket: {type: string}
        subsidy_fen: {type: integer}
        payable_fen: {type: integer}
        status: {type: string, enum: [valid, void]}
        claim_id: {type: [integer, "null"]}
        created_at: {type: string, format: date-time}
        void_reason: {type: [string, "null"]}
        voided_by: {type: [string, "null"]}
        voided_at: {type: [string, "null"], format: date-time}
    MealPage: {type: object, required: [items, next_cursor], properties: {items: {type: array, items: {$ref: "#/components/schemas/Meal"}}, next_cursor: {type: [string, "null"]}}}
    BatchResult:
      type: object
      required: [client_ref, status, meal, error]
      properties:
        client_ref: {type: [string, "null"]}
        status: {type: string, enum: [created, replayed, duplicate, rejected]}
        meal: {oneOf: [{$ref: "#/components/schemas/Meal"}, {type: "null"}]}
        error: {oneOf: [{$ref: "#/components/schemas/Problem"}, {type: "null"}]}
    Quote:
      type: object
      required: [age, bracket, subsidy_fen, payable_fen, eligible, reason]
      properties:
        age: {type: integer}
        bracket: {type: string}
        subsidy_fen: {type: integer}
        payable_fen: {type: integer}
        eligible: {type: boolean}
        reason: {type: [string, "null"]}
    Bracket:
      type: object
      required: [bracket, meals, diners, subsidy_fen]
      properties: {bracket: {type: string}, meals: {type: integer}, diners: {type: integer}, subsidy_fen: {type: integer}}
    Claim:
      type: object
      required: [id, site_code, site_name, street, month, status, meals, diners, subsidy_fen, adjustment_fen, total_fen, checks]
      properties:
        id: {type: integer}
        site_code: {type: string}
        site_name: {type: string}
        street: {type: string}
        month: {type: string}
        status: {$ref: "#/components/schemas/ClaimStatus"}
        meals: {type: integer}
        diners: {type: integer}
        subsidy_fen: {type: integer}
        adjustment_fen: {type: integer}
        total_fen: {type: integer}
        brackets: {type: array, items: {$ref: "#/components/schemas/Bracket"}}
        lines:
          type: array
          items:
            type: object
            required: [diner_id, name, resident_id_masked, bracket, meals, subsidy_fen]
            properties:
              diner_id: {type: integer}
              name: {type: string}
              resident_id_masked: {type: string}
              bracket: {type: string}
              meals: {type: integer}
              subsidy_fen: {type: integer}
        adjustments:
          type: array
          items:
            type: object
            required: [meal_id, diner_id, served_on, subsidy_fen, reason]
            properties:
              meal_id: {type: integer}
              diner_id: {type: integer}
              served_on: {type: string, format: date}
              subsidy_fen: {type: integer}
              reason: {type: string}
        checks:
          type: array
          items:
            type: object
            required: [code, severity, count, detail]
            properties: {code: {type: string}, severity: {type: string, enum: [blocking, warning]}, count: {type: integer}, detail: {type: string}}
        reject_reason: {type: [string, "null"]}
        override_reason: {type: [string, "null"]}
        built_at: {type: string}
        submitted_at: {type: [string, "null"]}
        approved_at: {type: [string, "null"]}
        rejected_at: {type: [string, "null"]}
        paid_at: {type: [string, "null"]}
    ClaimPage: {type: object, required: [items, next_cursor], properties: {items: {type: array, items: {$ref: "#/components/schemas/Claim"}}, next_cursor: {type: [string, "null"]}}}
    MonthlyReport:
      type: object
      required: [month, sites, brackets, totals]
      properties:
        month: {type: string}
        street: {type: [string, "null"]}
        sites:
          type: array
          items:
            type: object
            required: [site_code, name, street, meals, subsidized_meals, diners, subsidy_fen, claim_status]
            properties:
              site_code: {type: string}
              name: {type: string}
              street: {type: string}
              meals: {type: integer}
              subsidized_meals: {type: integer}
              diners: {type: integer}
              subsidy_fen: {type: integer}
              claim_status: {oneOf: [{$ref: "#/components/schemas/ClaimStatus"}, {type: "null"}]}
        brackets: {type: array, items: {$ref: "#/components/schemas/Bracket"}}
        days: {type: array, items: {type: object, properties: {date: {type: string, format: date}, meals: {type: integer}}}}
        totals:
          type: object
          required: [meals, subsidized_meals, diners, subsidy_fen]
          properties: {meals: {type: integer}, subsidized_meals: {type: integer}, diners: {type: integer}, subsidy_fen: {type: integer}}
    AuditPage:
      type: object
      required: [items, next_cursor]
      properties:
        items:
          type: array
          items:
            type: object
            required: [id, at, actor, action, entity, entity_id, detail]
            properties:
              id: {type: integer}
              at: {type: string, format: date-time}
              actor: {type: string}
              action: {type: string}
              entity: {type: string, enum: [site, diner, policy, meal, claim, token]}
              entity_id: {type: string}
              detail: {}
        next_cursor: {type: [string, "null"]}
"""#
}
