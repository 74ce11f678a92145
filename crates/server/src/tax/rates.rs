//! The withholding tables over HTTP. `PUT /api/tax/treaty-rates` and `PUT /api/tax/state-rates`
//! replace the whole table with the body (the tables are small; what was sent is what is
//! stored); `GET` reads them. `PUT/GET /api/funds/{fundId}/tax-settings`, and the
//! organization's switch `PUT/GET /api/tax/settings` (admins write).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use clearway_app::tax::rates::{self as app, FundSettingsInput, StateRateInput, TreatyRateInput};
use clearway_core::access::Permission;
use clearway_core::tax::withholding::Designations;
use clearway_store::tax::rates::{self as store, FundTaxSettings, StateRate, TreatyRate};
use clearway_store::{Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::http::{parse_json, ApiResult, Problem, RawBody};
use crate::state::AppState;

/// Routes of the tables.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tax/treaty-rates", get(get_treaty).put(put_treaty))
        .route("/api/tax/state-rates", get(get_states).put(put_states))
        .route("/api/tax/settings", get(get_settings).put(put_settings))
        .route(
            "/api/funds/{fund_id}/tax-settings",
            get(get_fund).put(put_fund),
        )
}

/// A treaty rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxTreatyRate {
    /// ISO 3166-1 alpha-2 country.
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub country: String,
    /// Income type.
    #[schema(pattern = "^(DIVIDENDS|INTEREST|CAPITAL_GAINS)$")]
    pub income_type: String,
    /// Percent, 0–100, at most 4 decimal places.
    #[schema(example = "15")]
    pub rate: String,
}

/// The whole treaty table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxTreatyRates {
    /// Every rate (a country or income type absent gets 30 %).
    pub rates: Vec<TaxTreatyRate>,
}

/// A state rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxStateRate {
    /// USPS state code.
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub state: String,
    /// Percent of the subject amount, 0–100, at most 4 decimal places.
    pub rate: String,
    /// The payer's state id (1099-DIV box 15).
    pub payer_state_id: Option<String>,
}

/// The whole state table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxStateRates {
    /// Every configured state (others withhold nothing).
    pub rates: Vec<TaxStateRate>,
}

/// The organization's tax settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxOrgSettings {
    /// Whether processing withholds (the organization is a withholding agent).
    pub withholding_enabled: bool,
}

/// A fund's chapter 3 designations.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TaxDesignations {
    /// Long-term gain is an exempt capital gain dividend.
    pub capital_gain_exempt: bool,
    /// Short-term gain is an exempt short-term capital gain dividend.
    pub short_term_gain_exempt: bool,
    /// Interest is an exempt interest-related dividend.
    pub interest_related_exempt: bool,
}

/// A fund's tax settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TaxFundSettings {
    /// Designations.
    pub designations: TaxDesignations,
    /// Interest is exempt-interest dividends (1099-DIV box 12).
    pub interest_is_exempt_interest: bool,
    /// Percent of ordinary dividends that are section 199A dividends.
    pub section199a_percent: Option<String>,
    /// Country of foreign tax paid (box 8).
    pub foreign_tax_country: Option<String>,
    /// Payer EIN, nine digits.
    #[schema(pattern = "^[0-9]{2}-?[0-9]{7}$")]
    pub payer_tin: Option<String>,
    /// Payer name.
    pub payer_name: Option<String>,
    /// Payer street address.
    pub payer_address: Option<String>,
    /// City.
    pub payer_city: Option<String>,
    /// USPS state.
    pub payer_state: Option<String>,
    /// ZIP.
    pub payer_zip: Option<String>,
    /// Phone, 10 digits.
    pub payer_phone: Option<String>,
}

fn treaty_view(rates: &[TreatyRate]) -> TaxTreatyRates {
    TaxTreatyRates {
        rates: rates
            .iter()
            .map(|r| TaxTreatyRate {
                country: r.country.clone(),
                income_type: r.income_type.as_str().into(),
                rate: r.rate.percent().to_string(),
            })
            .collect(),
    }
}

fn states_view(rates: &[StateRate]) -> TaxStateRates {
    TaxStateRates {
        rates: rates
            .iter()
            .map(|r| TaxStateRate {
                state: r.state.clone(),
                rate: r.rate.percent().to_string(),
                payer_state_id: r.payer_state_id.clone(),
            })
            .collect(),
    }
}

fn fund_view(s: &FundTaxSettings) -> TaxFundSettings {
    TaxFundSettings {
        designations: TaxDesignations {
            capital_gain_exempt: s.designations.capital_gain_exempt,
            short_term_gain_exempt: s.designations.short_term_gain_exempt,
            interest_related_exempt: s.designations.interest_related_exempt,
        },
        interest_is_exempt_interest: s.interest_is_exempt_interest,
        section199a_percent: Some(s.section199a_percent.normalize().to_string()),
        foreign_tax_country: s.foreign_tax_country.clone(),
        payer_tin: s.payer_tin.clone(),
        payer_name: s.payer_name.clone(),
        payer_address: s.payer_address.clone(),
        payer_city: s.payer_city.clone(),
        payer_state: s.payer_state.clone(),
        payer_zip: s.payer_zip.clone(),
        payer_phone: s.payer_phone.clone(),
    }
}

fn staff(actor: &Actor) -> ApiResult<()> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("tax settings").into());
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/tax/treaty-rates", tag = "tax",
    responses((status = 200, body = TaxTreatyRates), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_treaty(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<TaxTreatyRates>> {
    staff(&actor)?;
    let mut tx = state.db.begin().await?;
    Ok(Json(treaty_view(
        &store::treaty_rates_tx(&mut tx, &actor).await?,
    )))
}

#[utoipa::path(put, path = "/api/tax/treaty-rates", tag = "tax", request_body = TaxTreatyRates,
    responses((status = 200, body = TaxTreatyRates), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_treaty(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxTreatyRates>> {
    staff(&actor)?;
    actor.require(Permission::Operate)?;
    let r: TaxTreatyRates = parse_json(&headers, &body)?;
    let input: Vec<TreatyRateInput> = r
        .rates
        .into_iter()
        .map(|r| TreatyRateInput {
            country: r.country,
            income_type: r.income_type,
            rate: r.rate,
        })
        .collect();
    let mut tx = state.db.begin().await?;
    let out = app::put_treaty(&mut tx, &actor, &input).await?;
    tx.commit().await?;
    Ok(Json(treaty_view(&out)))
}

#[utoipa::path(get, path = "/api/tax/state-rates", tag = "tax",
    responses((status = 200, body = TaxStateRates), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_states(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<TaxStateRates>> {
    staff(&actor)?;
    let mut tx = state.db.begin().await?;
    Ok(Json(states_view(
        &store::state_rates_tx(&mut tx, &actor).await?,
    )))
}

#[utoipa::path(put, path = "/api/tax/state-rates", tag = "tax", request_body = TaxStateRates,
    responses((status = 200, body = TaxStateRates), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_states(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxStateRates>> {
    staff(&actor)?;
    actor.require(Permission::Operate)?;
    let r: TaxStateRates = parse_json(&headers, &body)?;
    let input: Vec<StateRateInput> = r
        .rates
        .into_iter()
        .map(|r| StateRateInput {
            state: r.state,
            rate: r.rate,
            payer_state_id: r.payer_state_id,
        })
        .collect();
    let mut tx = state.db.begin().await?;
    let out = app::put_states(&mut tx, &actor, &input).await?;
    tx.commit().await?;
    Ok(Json(states_view(&out)))
}

#[utoipa::path(get, path = "/api/tax/settings", tag = "tax",
    responses((status = 200, body = TaxOrgSettings), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<TaxOrgSettings>> {
    staff(&actor)?;
    let mut tx = state.db.begin().await?;
    let withholding_enabled = store::withholding_enabled_tx(&mut tx, &actor).await?;
    Ok(Json(TaxOrgSettings {
        withholding_enabled,
    }))
}

#[utoipa::path(put, path = "/api/tax/settings", tag = "tax", request_body = TaxOrgSettings,
    responses((status = 200, body = TaxOrgSettings), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxOrgSettings>> {
    staff(&actor)?;
    actor.require(Permission::Administer)?;
    let r: TaxOrgSettings = parse_json(&headers, &body)?;
    let mut tx = state.db.begin().await?;
    let withholding_enabled = app::put_enabled(&mut tx, &actor, r.withholding_enabled).await?;
    tx.commit().await?;
    Ok(Json(TaxOrgSettings {
        withholding_enabled,
    }))
}

#[utoipa::path(get, path = "/api/funds/{fund_id}/tax-settings", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id")),
    responses((status = 200, body = TaxFundSettings), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_fund(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
) -> ApiResult<Json<TaxFundSettings>> {
    staff(&actor)?;
    let mut tx = state.db.begin().await?;
    Ok(Json(fund_view(
        &store::fund_settings_tx(&mut tx, &actor, &fund_id).await?,
    )))
}

#[utoipa::path(put, path = "/api/funds/{fund_id}/tax-settings", tag = "tax",
    params(("fund_id" = String, Path, description = "Fund id")), request_body = TaxFundSettings,
    responses((status = 200, body = TaxFundSettings), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_fund(
    State(state): State<AppState>,
    actor: Actor,
    Path(fund_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxFundSettings>> {
    staff(&actor)?;
    actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    store::fund_settings_tx(&mut tx, &actor, &fund_id).await?;
    let r: TaxFundSettings = parse_json(&headers, &body)?;
    let input = FundSettingsInput {
        designations: Designations {
            capital_gain_exempt: r.designations.capital_gain_exempt,
            short_term_gain_exempt: r.designations.short_term_gain_exempt,
            interest_related_exempt: r.designations.interest_related_exempt,
        },
        interest_is_exempt_interest: r.interest_is_exempt_interest,
        section199a_percent: r.section199a_percent,
        foreign_tax_country: r.foreign_tax_country,
        payer_tin: r.payer_tin,
        payer_name: r.payer_name,
        payer_address: r.payer_address,
        payer_city: r.payer_city,
        payer_state: r.payer_state,
        payer_zip: r.payer_zip,
        payer_phone: r.payer_phone,
    };
    let out = app::put_fund(&mut tx, &actor, &fund_id, &input).await?;
    tx.commit().await?;
    Ok(Json(fund_view(&out)))
}

/// OpenAPI paths of the tables.
#[derive(OpenApi)]
#[openapi(
    paths(
        get_treaty,
        put_treaty,
        get_states,
        put_states,
        get_settings,
        put_settings,
        get_fund,
        put_fund
    ),
    components(schemas(
        TaxTreatyRate,
        TaxTreatyRates,
        TaxStateRate,
        TaxStateRates,
        TaxOrgSettings,
        TaxDesignations,
        TaxFundSettings
    ))
)]
pub struct ApiDoc;
