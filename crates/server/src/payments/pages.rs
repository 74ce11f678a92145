//! The investor portal's payment methods: their payees, masked as the API masks them, with
//! their verification status; a form to add a bank account (ACH), and the micro-deposit
//! verification (send, then confirm the two amounts). The same rules as the API apply: the
//! body is validated by the API's [`BankAccountRequest`], the changes go through the
//! application's [`clearway_app::payments::bank_accounts`] services, and an investor manages
//! only their own payees.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::payments::bank_accounts::{self as app, PayeeCommand};
use clearway_core::Currency;
use clearway_store::bank_accounts::{self as store, BankAccount};
use serde::Deserialize;

use super::dto::{BankAccountRequest, BankAccountView};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageResult, Viewer};

const PATH: &str = "/account/payment-methods";

/// Routes of the page and its forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page).post(add))
        .route(
            "/account/payment-methods/{account_id}/micro-deposits",
            post(send_micro_deposits),
        )
        .route("/account/payment-methods/{account_id}/verify", post(verify))
}

/// Payees per page.
const PAGE: i64 = 20;

/// The page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

/// The add form's fields as typed (the account number is never shown back).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    routing_number: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    account_type: String,
    #[serde(default)]
    make_default: Option<String>,
}

/// The micro-deposit confirmation's fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    amount_1: String,
    #[serde(default)]
    amount_2: String,
}

/// One payee, as the API shows it.
pub struct PayeeRow {
    id: String,
    method: String,
    holder_name: String,
    account: String,
    routing: String,
    account_type: String,
    status: String,
    is_default: bool,
    verified_by: String,
    blocked: Option<String>,
    /// An ACH payee awaiting verification with no micro-deposits sent yet.
    can_send: bool,
    /// Micro-deposits sent, awaiting the two amounts.
    can_confirm: bool,
    /// Too many wrong confirmations: only staff can restart the verification.
    locked: bool,
}

impl From<&BankAccount> for PayeeRow {
    fn from(b: &BankAccount) -> Self {
        // The API's view does the masking: the page shows nothing it does not.
        let v = BankAccountView::from(b);
        let pending = v.status == "PENDING_VERIFICATION";
        let locked = b.verify_attempts >= store::VERIFY_ATTEMPTS_MAX;
        PayeeRow {
            id: v.id,
            can_send: pending && v.method == "ACH" && !v.micro_deposits_pending,
            can_confirm: pending && v.micro_deposits_pending && !locked,
            locked: pending && v.micro_deposits_pending && locked,
            method: v.method,
            holder_name: v.holder_name,
            account: v.account_number_masked.unwrap_or_else(|| "—".into()),
            routing: v.routing_number.unwrap_or_else(|| "—".into()),
            account_type: v.account_type.unwrap_or_else(|| "—".into()),
            status: v.status,
            is_default: v.is_default,
            verified_by: v.verification_method.unwrap_or_default(),
            blocked: v.blocked_reason,
        }
    }
}

#[derive(Template)]
#[template(path = "account/payment_methods.html")]
struct MethodsPage {
    chrome: Chrome,
    payees: Vec<PayeeRow>,
    next: Option<String>,
    first_page: bool,
    form: AddForm,
    errors: FieldErrors,
    /// The payee whose confirmation form has `verify_errors`.
    verify_for: String,
    verify: VerifyForm,
    verify_errors: FieldErrors,
}

fn notice(code: Option<&str>) -> Option<String> {
    match code? {
        "added" => Some("The bank account was added. Verify it before payments go to it.".into()),
        "sent" => Some("Two small deposits are on their way to the account. When they arrive (one or two business days), enter their amounts below.".into()),
        "verified" => Some("The bank account is verified.".into()),
        "mismatch" => Some("Those amounts do not match the deposits sent. Check your bank statement and try again; after three wrong tries, ask your fund administrator to restart the verification.".into()),
        _ => None,
    }
}

/// Which form was sent back with errors, if any.
#[derive(Default)]
struct Again {
    form: AddForm,
    errors: FieldErrors,
    verify_for: String,
    verify: VerifyForm,
    verify_errors: FieldErrors,
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    investor_id: &str,
    q: &PageQuery,
    again: Again,
) -> PageResult<Response> {
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let payees = store::list(&state.db, &viewer.actor, investor_id, cursor, PAGE).await?;
    let next = (payees.len() as i64 == PAGE)
        .then(|| payees.last().map(|b| b.id.clone()))
        .flatten();
    let failed = !again.errors.is_empty() || !again.verify_errors.is_empty();
    let page = MethodsPage {
        chrome: Chrome::new(viewer, "Payment methods", PATH)
            .with_notice(notice(q.notice.as_deref())),
        payees: payees.iter().map(PayeeRow::from).collect(),
        next,
        first_page: cursor.is_none(),
        form: again.form,
        errors: again.errors,
        verify_for: again.verify_for,
        verify: again.verify,
        verify_errors: again.verify_errors,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_status(status, &page)
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<PageQuery>,
) -> PageResult<Response> {
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    draw(&state, &viewer, &investor_id, &q, Again::default()).await
}

/// The form's field of an API field name.
fn field_of(api: &str) -> String {
    match api {
        "holderName" => "holder_name",
        "routingNumber" => "routing_number",
        "accountNumber" => "account_number",
        "accountType" => "account_type",
        other => other,
    }
    .to_string()
}

/// The API's request of an ACH payee from the form.
fn request_of(f: &AddForm) -> BankAccountRequest {
    let opt = |v: &str| Some(v.trim().to_string()).filter(|t| !t.is_empty());
    BankAccountRequest {
        method: "ACH".into(),
        holder_name: f.holder_name.clone(),
        currency: None,
        routing_number: opt(&f.routing_number),
        account_number: opt(&f.account_number),
        account_type: opt(&f.account_type),
        iban: None,
        bic: None,
        bank_name: None,
        bank_address: None,
        address: None,
        is_default: Some(f.make_default.is_some()),
        verified: None,
    }
}

async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<AddForm>(&viewer, &headers, &body)?;
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let req = request_of(&f);
    let vault = &state.config.payments.vault;
    let mut tx = state.db.begin().await?;
    let created = app::create(&mut tx, &viewer.actor, &investor_id, || {
        Ok(PayeeCommand {
            details: req.parse(vault)?,
            attest_verified: false,
            is_default: req.is_default == Some(true),
        })
    })
    .await;
    match created {
        Ok(_) => {
            tx.commit().await?;
            state.jobs_ready.notify_waiters();
            Ok(Redirect::to(&format!("{PATH}?notice=added")).into_response())
        }
        Err(e) => {
            let again = Again {
                errors: FieldErrors::from_error(e, field_of)?,
                form: AddForm {
                    account_number: String::new(),
                    ..f
                },
                ..Again::default()
            };
            draw(&state, &viewer, &investor_id, &PageQuery::default(), again).await
        }
    }
}

async fn send_micro_deposits(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    app::start_micro_deposits(
        &state.db,
        &state.config.payments,
        &viewer.actor,
        &investor_id,
        &account_id,
    )
    .await?;
    state.events_ready.notify_one();
    Ok(Redirect::to(&format!("{PATH}?notice=sent")).into_response())
}

/// The two amounts in cents, each positive, or their field errors (as the API checks them).
fn amounts(f: &VerifyForm) -> Result<(i64, i64), FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut one = |field: &str, text: &str| match Currency::USD.parse_amount(field, text.trim()) {
        Ok(c) if c > 0 => Some(c),
        Ok(_) => {
            errors.push(field, "must be positive, e.g. 0.32");
            None
        }
        Err(e) => {
            errors.push(field, e.message);
            None
        }
    };
    let a = one("amount_1", &f.amount_1);
    let b = one("amount_2", &f.amount_2);
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(errors),
    }
}

async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<VerifyForm>(&viewer, &headers, &body)?;
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let cents = match amounts(&f) {
        Ok(c) => c,
        Err(verify_errors) => {
            let again = Again {
                verify_for: account_id,
                verify: f,
                verify_errors,
                ..Again::default()
            };
            return draw(&state, &viewer, &investor_id, &PageQuery::default(), again).await;
        }
    };
    let outcome =
        app::confirm_micro_deposits(&state.db, &viewer.actor, &investor_id, &account_id, cents)
            .await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    let code = if outcome.verified {
        "verified"
    } else {
        "mismatch"
    };
    Ok(Redirect::to(&format!("{PATH}?notice={code}")).into_response())
}
