//! FX rates: JSON and CSV import, list.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use clearway_core::access::Permission;
use clearway_core::distribution::parse_date;
use clearway_core::payments::fx::parse_rate;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::fx::{self, NewRate};
use clearway_store::{time_text, Actor};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, parse_json, ApiResult, Page, Problem, Qs, RawBody};
use crate::payments::dto::{FxImportResult, FxRateRequest, FxRateView, FxRatesRequest};
use crate::state::AppState;
use clearway_formats::payments_csv::{self, FxRatesCsvError};

use super::PAGE_DEFAULT;

/// Parses an `asOf`: an RFC 3339 timestamp, or a date (midnight UTC).
fn parse_as_of(field: &str, t: &str) -> Result<String, FieldError> {
    // A timestamp's date part obeys the date grammar too (no 26-03-01, no year 9999).
    if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(t) {
        if t.get(..10)
            .is_some_and(|day| parse_date(field, day).is_ok())
        {
            return Ok(time_text(ts.with_timezone(&chrono::Utc)));
        }
    }
    let d = parse_date(field, t).map_err(|_| {
        FieldError::new(
            field,
            format!(
                "{} is not an RFC 3339 timestamp or a date (YYYY-MM-DD)",
                clearway_core::input::excerpt(t, 40)
            ),
        )
    })?;
    Ok(time_text(
        d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    ))
}

/// Validates rates; errors are named `{prefix}[i].field`.
fn parse_rates(rates: &[FxRateRequest], prefix: &str) -> Result<Vec<NewRate>, Invalid> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    if rates.is_empty() || rates.len() > 10_000 {
        return Err(FieldError::new(prefix, "give 1 to 10,000 rates").into());
    }
    for (i, r) in rates.iter().enumerate() {
        let f = |name: &str| format!("{prefix}[{i}].{name}");
        let base = Currency::parse(&r.base)
            .map_err(|e| FieldError::new(f("base"), format!("unsupported currency: {e}")));
        let quote = Currency::parse(&r.quote)
            .map_err(|e| FieldError::new(f("quote"), format!("unsupported currency: {e}")));
        let rate = parse_rate(&f("rate"), &r.rate);
        let as_of = parse_as_of(&f("asOf"), &r.as_of);
        let source = r.source.trim().to_string();
        if source.is_empty() || source.len() > 64 {
            errors.push(FieldError::new(
                f("source"),
                "is required (1 to 64 characters)",
            ));
        } else if let Err(e) = clearway_core::input::check_text(&f("source"), &source, false) {
            // CSV uploads do not pass the JSON body check: the same rule, here.
            errors.push(e);
        }
        match (base, quote, rate, as_of) {
            (Ok(b), Ok(q), Ok(rate), Ok(as_of)) => {
                if b == q {
                    errors.push(FieldError::new(f("quote"), "must differ from base"));
                } else {
                    out.push(NewRate {
                        base: b,
                        quote: q,
                        rate,
                        source,
                        as_of,
                    });
                }
            }
            (b, q, r, a) => {
                errors.extend([b.err(), q.err(), r.err(), a.err()].into_iter().flatten());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors))
    }
}

async fn store_rates(
    state: &AppState,
    actor: &Actor,
    rates: &[NewRate],
) -> ApiResult<FxImportResult> {
    let out = clearway_app::payments::fx::import(&state.db, actor, rates).await?;
    Ok(FxImportResult {
        received: out.received,
        imported: out.imported,
    })
}

#[utoipa::path(post, path = "/api/fx-rates", tag = "payments", request_body = FxRatesRequest,
    responses((status = 200, body = FxImportResult), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_rates(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<FxImportResult>> {
    actor.require(Permission::Operate)?;
    let req: FxRatesRequest = parse_json(&headers, &body)?;
    let rates = parse_rates(&req.rates, "rates")?;
    Ok(Json(store_rates(&state, &actor, &rates).await?))
}

/// Reads FX rates CSV (see [`payments_csv::fx_rates`]); errors name the file or the line.
pub fn rates_from_csv(text: &[u8]) -> Result<Vec<FxRateRequest>, Invalid> {
    let rows = payments_csv::fx_rates(text).map_err(|e| match e {
        FxRatesCsvError::Record { line, message } => {
            FieldError::new(format!("line {line}"), message)
        }
        other => FieldError::new("file", other.to_string()),
    })?;
    Ok(rows
        .into_iter()
        .map(|r| FxRateRequest {
            base: r.base,
            quote: r.quote,
            rate: r.rate,
            source: r.source,
            as_of: r.as_of,
        })
        .collect())
}

#[utoipa::path(post, path = "/api/fx-rates/csv", tag = "payments", request_body(content = String, content_type = "text/csv", description = "base,quote,rate,source,as_of"),
    responses((status = 200, body = FxImportResult), (status = 422, description = "names the line and column, e.g. `lines[0].rate` for the first data row", body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_rates_csv(
    State(state): State<AppState>,
    actor: Actor,
    RawBody(body): RawBody,
) -> ApiResult<Json<FxImportResult>> {
    actor.require(Permission::Operate)?;
    let rows = rates_from_csv(&body)?;
    let rates = parse_rates(&rows, "lines")?;
    Ok(Json(store_rates(&state, &actor, &rates).await?))
}

/// Query of the rates list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RatesQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/fx-rates", tag = "payments", params(RatesQuery),
    responses((status = 200, body = Page<FxRateView>)), security(("bearer" = [])))]
pub(crate) async fn list_rates(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<RatesQuery>,
) -> ApiResult<Json<Page<FxRateView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = fx::list(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    Ok(Json(Page::new(items, limit, |r| r.id.clone()).map(|r| {
        FxRateView {
            id: r.id,
            base: r.base,
            quote: r.quote,
            rate: r.rate,
            source: r.source,
            as_of: r.as_of,
        }
    })))
}
