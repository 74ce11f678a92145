//! Staff pages of tax profiles and withholding: an investor's profile with its edit form
//! (`/investors/{id}/tax-profile`), the list with filters and an import upload
//! (`/tax/profiles`), the withholding liability report with the flagged lines
//! (`/tax/withholding`), and the investor's own profile in the portal
//! (`/account/tax-profile`). Writes go through the same app functions as the API.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::tax::liability as lapp;
use clearway_app::tax::profiles as app;
use clearway_core::access::Permission;
use clearway_core::tax::profile::ProfileInput;
use clearway_core::Currency;
use clearway_store::tax::profiles::{self as store, ListFilter};
use clearway_store::tax::withholding as wstore;
use serde::Deserialize;

use super::liability::TaxLineWithholdingView;
use super::profiles::TaxProfileView;
use crate::state::AppState;
use crate::web::error::{render_status, PageError};
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

/// Rows per page of the lists.
const PAGE: i64 = 50;

/// Routes of the pages and their forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/investors/{id}/tax-profile",
            get(profile_page).post(profile_post),
        )
        .route("/tax/profiles", get(list_page))
        .route("/tax/profiles/import", post(import_post))
        .route("/tax/withholding", get(withholding_page))
        .route("/account/tax-profile", get(portal_page))
}

/// The profile form, as typed. A blank TIN keeps the stored one; `remove_tin` removes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    tin_type: String,
    #[serde(default)]
    tin: String,
    #[serde(default)]
    remove_tin: Option<String>,
    #[serde(default)]
    tin_status: String,
    #[serde(default)]
    residency: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    treaty_claim: Option<String>,
    #[serde(default)]
    treaty_article: String,
    #[serde(default)]
    chapter3_status: String,
    #[serde(default)]
    chapter4_status: String,
    #[serde(default)]
    residence_state: String,
    #[serde(default)]
    exempt_payee_code: String,
    #[serde(default)]
    fatca_filing: Option<String>,
    #[serde(default)]
    foreign_tin: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl ProfileForm {
    fn of(v: &TaxProfileView) -> ProfileForm {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let on = |b: bool| b.then(|| "on".to_string());
        ProfileForm {
            tin_type: s(&v.tin_type),
            tin: String::new(),
            remove_tin: None,
            tin_status: v.tin_status.clone(),
            residency: v.residency.clone(),
            certificate: s(&v.certificate),
            country: s(&v.country),
            treaty_claim: on(v.treaty_claim),
            treaty_article: s(&v.treaty_article),
            chapter3_status: s(&v.chapter3_status),
            chapter4_status: s(&v.chapter4_status),
            residence_state: s(&v.residence_state),
            exempt_payee_code: s(&v.exempt_payee_code),
            fatca_filing: on(v.fatca_filing),
            foreign_tin: s(&v.foreign_tin),
        }
    }

    fn input(&self) -> ProfileInput {
        let tin = if self.remove_tin.is_some() {
            Some(String::new())
        } else {
            opt(&self.tin)
        };
        ProfileInput {
            tin_type: opt(&self.tin_type),
            tin,
            tin_status: self.tin_status.trim().to_string(),
            residency: self.residency.trim().to_string(),
            certificate: opt(&self.certificate),
            country: opt(&self.country),
            treaty_claim: self.treaty_claim.is_some(),
            treaty_article: opt(&self.treaty_article),
            chapter3_status: opt(&self.chapter3_status),
            chapter4_status: opt(&self.chapter4_status),
            residence_state: opt(&self.residence_state),
            exempt_payee_code: opt(&self.exempt_payee_code),
            fatca_filing: self.fatca_filing.is_some(),
            foreign_tin: opt(&self.foreign_tin),
        }
    }
}

/// `tinType` → `tin_type`: the API's field names as the form's.
fn snake(api: &str) -> String {
    let mut out = String::new();
    for ch in api.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[derive(Template)]
#[template(path = "tax/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    investor_id: String,
    profile: Option<TaxProfileView>,
    may_edit: bool,
    form: ProfileForm,
    errors: FieldErrors,
}

impl ProfilePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// The free-text fields: (name, label, typed value).
    fn text_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let f = &self.form;
        vec![
            ("country", "Country (ISO two letters)", f.country.clone()),
            ("treaty_article", "Treaty article", f.treaty_article.clone()),
            (
                "chapter3_status",
                "Chapter 3 status code",
                f.chapter3_status.clone(),
            ),
            (
                "chapter4_status",
                "Chapter 4 status code",
                f.chapter4_status.clone(),
            ),
            (
                "residence_state",
                "State of residence (USPS code)",
                f.residence_state.clone(),
            ),
            (
                "exempt_payee_code",
                "Exempt payee code (1–13)",
                f.exempt_payee_code.clone(),
            ),
            ("foreign_tin", "Foreign TIN", f.foreign_tin.clone()),
        ]
    }
}

async fn draw_profile(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    typed: Option<ProfileForm>,
    errors: FieldErrors,
) -> PageResult<Response> {
    let mut tx = state.db.begin().await?;
    store::investor_visible_tx(&mut tx, &viewer.actor, id).await?;
    let stored = app::get(&mut tx, &viewer.actor, id).await?;
    tx.commit().await?;
    let profile = stored.as_ref().map(TaxProfileView::from);
    let form = typed.unwrap_or_else(|| match &profile {
        Some(v) => ProfileForm::of(v),
        None => ProfileForm {
            tin_status: "MISSING".into(),
            residency: "US".into(),
            ..ProfileForm::default()
        },
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ProfilePage {
        chrome: Chrome::new(viewer, format!("Tax profile — {id}"), "/tax"),
        investor_id: id.to_string(),
        profile,
        may_edit: viewer.can(Permission::Operate),
        form,
        errors,
    };
    render_status(status, &page)
}

async fn profile_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    draw_profile(&state, &viewer, &id, None, FieldErrors::default()).await
}

async fn profile_post(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ProfileForm>(&viewer, &headers, &body)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    store::investor_visible_tx(&mut tx, &viewer.actor, &id).await?;
    let vault = &state.config.payments.vault;
    match app::put(&mut tx, &viewer.actor, vault, &id, &f.input()).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(Redirect::to(&format!("/investors/{id}/tax-profile")).into_response())
        }
        Err(e) => {
            drop(tx);
            let errors = FieldErrors::from_error(e, snake)?;
            draw_profile(&state, &viewer, &id, Some(f), errors).await
        }
    }
}

/// Filters of the list page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    attention: Option<String>,
    #[serde(default)]
    tin_status: Option<String>,
    #[serde(default)]
    residency: Option<String>,
    #[serde(default)]
    offset: Option<i64>,
}

#[derive(Template)]
#[template(path = "tax/profiles.html")]
struct ListPage {
    chrome: Chrome,
    attention: bool,
    tin_status: String,
    residency: String,
    rows: Vec<TaxProfileView>,
    total: i64,
    offset: i64,
    prev: Option<String>,
    next: Option<String>,
    imported: Option<(i64, i64, i64)>,
    import_errors: Vec<(String, String)>,
}

/// Keeps only a known value of a filter (an unknown one is ignored, as no filter).
fn known(v: Option<String>, ok: &[&str]) -> String {
    v.filter(|s| ok.contains(&s.as_str())).unwrap_or_default()
}

async fn draw_list(
    state: &AppState,
    viewer: &Viewer,
    q: ListQuery,
    imported: Option<(i64, i64, i64)>,
    import_errors: Vec<(String, String)>,
) -> PageResult<Response> {
    let filter = ListFilter {
        tin_status: opt(&known(
            q.tin_status,
            &["CERTIFIED", "MISSING", "B_NOTICE", "C_NOTICE"],
        )),
        residency: opt(&known(q.residency, &["US", "FOREIGN"])),
        needs_attention: q.attention.is_some_and(|a| !a.is_empty()),
    };
    let offset = q.offset.unwrap_or(0).clamp(0, 1_000_000_000);
    let mut tx = state.db.begin().await?;
    let (items, total) = store::list_tx(&mut tx, &viewer.actor, &filter, PAGE, offset).await?;
    tx.commit().await?;
    let link = |o: i64| {
        let mut s = format!("/tax/profiles?offset={o}");
        if filter.needs_attention {
            s.push_str("&attention=1");
        }
        for (k, v) in [
            ("tin_status", &filter.tin_status),
            ("residency", &filter.residency),
        ] {
            if let Some(v) = v {
                s.push_str(&format!("&{k}={v}"));
            }
        }
        s
    };
    let next = (offset + (items.len() as i64) < total).then(|| link(offset + PAGE));
    let prev = (offset > 0).then(|| link((offset - PAGE).max(0)));
    let status = if import_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        chrome: Chrome::new(viewer, "Tax profiles", "/tax"),
        attention: filter.needs_attention,
        tin_status: filter.tin_status.unwrap_or_default(),
        residency: filter.residency.unwrap_or_default(),
        rows: items.iter().map(TaxProfileView::from).collect(),
        total,
        offset,
        prev,
        next,
        imported,
        import_errors,
    };
    render_status(status, &page)
}

async fn list_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    draw_list(&state, &viewer, q, None, Vec::new()).await
}

async fn read_upload(mut parts: Multipart) -> PageResult<(Vec<u8>, String)> {
    let malformed = |e: axum::extract::multipart::MultipartError| {
        PageError::new(e.status(), "Upload not read", &e.body_text())
    };
    let (mut file, mut token) = (Vec::new(), String::new());
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        match part.name() {
            Some("_csrf") => token = part.text().await.map_err(malformed)?,
            Some("file") => file = part.bytes().await.map_err(malformed)?.to_vec(),
            _ => {}
        }
    }
    Ok((file, token))
}

/// The import: all or nothing, as the API's; the result is shown on the list page.
async fn import_post(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    parts: Multipart,
) -> PageResult<Response> {
    let (file, token) = read_upload(parts).await?;
    form::check_token(&viewer, &headers, &token)?;
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    viewer.actor.require(Permission::Operate)?;
    let rows = match clearway_app::tax::import::parse(&file) {
        Ok(rows) => rows,
        Err(invalid) => {
            let errs = invalid
                .0
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect();
            return draw_list(&state, &viewer, ListQuery::default(), None, errs).await;
        }
    };
    let vault = &state.config.payments.vault;
    let mut tx = state.db.begin().await?;
    match clearway_app::tax::import::apply(&mut tx, &viewer.actor, vault, &rows).await {
        Ok(out) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            let counts = Some((out.created, out.updated, out.unchanged));
            draw_list(&state, &viewer, ListQuery::default(), counts, Vec::new()).await
        }
        Err(e) => {
            drop(tx);
            let errs = FieldErrors::from_error(e, str::to_string)?.0;
            draw_list(&state, &viewer, ListQuery::default(), None, errs).await
        }
    }
}

/// The report's form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LiabilityForm {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    offset: Option<i64>,
}

/// One row of the report: period, currency, backup, chapter 3, per state (same order as
/// `states`), total; amounts formatted.
#[derive(Debug, Clone)]
struct LiabilityRow {
    period: String,
    currency: String,
    backup: String,
    chapter3: String,
    states: Vec<String>,
    total: String,
}

/// A flagged line, formatted.
#[derive(Debug, Clone)]
struct FlagRow {
    distribution_id: String,
    investor_id: String,
    payable_date: String,
    regime: String,
    withheld: String,
    flag: String,
}

#[derive(Template)]
#[template(path = "tax/withholding.html")]
struct WithholdingPage {
    chrome: Chrome,
    from: String,
    to: String,
    period: String,
    errors: FieldErrors,
    states: Vec<String>,
    rows: Vec<LiabilityRow>,
    totals: Vec<LiabilityRow>,
    csv: String,
    flags: Vec<FlagRow>,
    flag_total: i64,
    prev: Option<String>,
    next: Option<String>,
}

fn money(currency: &str, minor: i64) -> String {
    match Currency::parse(currency) {
        Ok(c) => c.format_minor(minor),
        Err(_) => minor.to_string(),
    }
}

/// Pivots the report's lines to one row per (period, currency).
fn pivot(lines: &[lapp::LiabilityLine], states: &[String]) -> Vec<LiabilityRow> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for l in lines {
        let k = (l.period.clone(), l.currency.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|(period, currency)| {
            let of = |liability: &str, state: Option<&str>| -> i64 {
                lines
                    .iter()
                    .filter(|l| l.period == period && l.currency == currency)
                    .filter(|l| l.liability == liability && l.state.as_deref() == state)
                    .map(|l| l.amount_minor)
                    .sum()
            };
            let backup = of("BACKUP", None);
            let chapter3 = of("CHAPTER3", None);
            let per_state: Vec<i64> = states.iter().map(|s| of("STATE", Some(s))).collect();
            let total = backup + chapter3 + per_state.iter().sum::<i64>();
            LiabilityRow {
                backup: money(&currency, backup),
                chapter3: money(&currency, chapter3),
                states: per_state.iter().map(|m| money(&currency, *m)).collect(),
                total: money(&currency, total),
                period,
                currency,
            }
        })
        .collect()
}

async fn withholding_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LiabilityForm>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let today = chrono::Utc::now().date_naive();
    let from = q
        .from
        .unwrap_or_else(|| format!("{}-01-01", today.format("%Y")));
    let to = q.to.unwrap_or_else(|| today.to_string());
    let period = q.period.unwrap_or_else(|| "month".into());
    let offset = q.offset.unwrap_or(0).clamp(0, 1_000_000_000);
    let mut tx = state.db.begin().await?;
    let report = lapp::report(&mut tx, &viewer.actor, &from, &to, &period).await;
    let (flagged, flag_total) = wstore::flagged_tx(&mut tx, &viewer.actor, PAGE, offset).await?;
    tx.commit().await?;
    let (report, errors) = match report {
        Ok(r) => (Some(r), FieldErrors::default()),
        Err(e) => (None, FieldErrors::from_error(e, str::to_string)?),
    };
    let mut states: Vec<String> = report
        .iter()
        .flat_map(|r| r.lines.iter().filter_map(|l| l.state.clone()))
        .collect();
    states.sort();
    states.dedup();
    let (rows, totals) = match &report {
        Some(r) => (pivot(&r.lines, &states), pivot(&r.totals, &states)),
        None => (Vec::new(), Vec::new()),
    };
    let query = crate::web::query_string(&[("from", &from), ("to", &to), ("period", &period)]);
    let flags = flagged
        .iter()
        .map(TaxLineWithholdingView::from)
        .map(|w| FlagRow {
            withheld: money(&w.currency, w.total_minor),
            flag: w.flag.unwrap_or_default(),
            distribution_id: w.distribution_id,
            investor_id: w.investor_id,
            payable_date: w.payable_date,
            regime: w.regime,
        })
        .collect::<Vec<_>>();
    let link = |o: i64| format!("/tax/withholding?{query}&offset={o}");
    let page = WithholdingPage {
        chrome: Chrome::new(&viewer, "Withholding", "/tax"),
        csv: format!("/api/tax/withholding-liability?{query}&format=csv"),
        next: (offset + (flags.len() as i64) < flag_total).then(|| link(offset + PAGE)),
        prev: (offset > 0).then(|| link((offset - PAGE).max(0))),
        from,
        to,
        period,
        errors,
        states,
        rows,
        totals,
        flags,
        flag_total,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

#[derive(Template)]
#[template(path = "tax/profile_portal.html")]
struct PortalPage {
    chrome: Chrome,
    profile: Option<TaxProfileView>,
}

async fn portal_page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    let Some(investor) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let mut tx = state.db.begin().await?;
    let stored = app::get(&mut tx, &viewer.actor, &investor).await?;
    tx.commit().await?;
    let page = PortalPage {
        chrome: Chrome::new(&viewer, "My tax profile", "/account/tax-profile"),
        profile: stored.as_ref().map(TaxProfileView::from),
    };
    render_status(StatusCode::OK, &page)
}
