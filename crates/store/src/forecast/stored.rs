//! Stored forecasts, their points, and the errors recorded against actual distributions.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use rust_decimal::Decimal;

use super::{date, staff};
use crate::{now_text, q, Actor, Row, StoreError, Tx};

/// A forecast as stored; `input`, `points`, `accuracy` and `notes` are JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    pub id: String,
    pub fund_id: String,
    /// `REQUEST` or `SNAPSHOT`.
    pub trigger: String,
    pub created_by: String,
    pub created_at: String,
    pub currency: String,
    pub frequency: String,
    pub horizon: i64,
    pub requested_model: Option<String>,
    pub model: Option<String>,
    pub label: String,
    pub fingerprint: String,
    pub input: String,
    pub points: String,
    pub accuracy: String,
    pub notes: String,
}

/// One point, for matching with actuals.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    pub step: i64,
    pub date: NaiveDate,
    pub per_unit: Decimal,
}

const COLUMNS: &str = "id, fund_id, trigger_kind, created_by, created_at, currency, frequency, horizon, requested_model, model, label, fingerprint, input, points, accuracy, notes";

fn forecast_from(r: &Row) -> Result<ForecastRow, StoreError> {
    Ok(ForecastRow {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        trigger: r.text("trigger_kind")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
        currency: r.text("currency")?,
        frequency: r.text("frequency")?,
        horizon: r.i64("horizon")?,
        requested_model: r.opt_text("requested_model")?,
        model: r.opt_text("model")?,
        label: r.text("label")?,
        fingerprint: r.text("fingerprint")?,
        input: r.text("input")?,
        points: r.text("points")?,
        accuracy: r.text("accuracy")?,
        notes: r.text("notes")?,
    })
}

/// Stores a forecast and its points (operators, or the system at completion).
pub async fn insert_tx(
    tx: &mut Tx,
    actor: &Actor,
    f: &ForecastRow,
    points: &[PointRow],
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    tx.execute(
        q(format!("INSERT INTO forecasts (org_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"))
            .bind(&actor.org_id)
            .bind(&f.id)
            .bind(&f.fund_id)
            .bind(&f.trigger)
            .bind(&f.created_by)
            .bind(&f.created_at)
            .bind(&f.currency)
            .bind(&f.frequency)
            .bind(f.horizon)
            .bind(f.requested_model.clone())
            .bind(f.model.clone())
            .bind(&f.label)
            .bind(&f.fingerprint)
            .bind(&f.input)
            .bind(&f.points)
            .bind(&f.accuracy)
            .bind(&f.notes),
    )
    .await?;
    for p in points {
        tx.execute(
            q("INSERT INTO forecast_points (forecast_id, step, org_id, fund_id, period_month, point_date, per_unit) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&f.id)
                .bind(p.step)
                .bind(&actor.org_id)
                .bind(&f.fund_id)
                .bind(p.date.format("%Y-%m").to_string())
                .bind(p.date.to_string())
                .bind(p.per_unit.to_string()),
        )
        .await?;
    }
    Ok(())
}

/// A page of the fund's forecasts, newest first, and how many there are.
pub async fn list_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ForecastRow>, i64), StoreError> {
    staff(actor, Permission::Read)?;
    let total = tx
        .count(
            q("SELECT COUNT(*) AS n FROM forecasts WHERE org_id = $1 AND fund_id = $2")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM forecasts WHERE org_id = $1 AND fund_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"))
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(limit)
                .bind(offset),
        )
        .await?;
    let rows = rows.iter().map(forecast_from).collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// A stored point of the fund in `month` (`YYYY-MM`), with its forecast's model.
#[derive(Debug, Clone, PartialEq)]
pub struct DuePoint {
    pub forecast_id: String,
    pub model: Option<String>,
    pub point: PointRow,
}

/// The points of the fund's stored forecasts that fall in `month` (`YYYY-MM`).
pub async fn points_in_month_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    month: &str,
) -> Result<Vec<DuePoint>, StoreError> {
    staff(actor, Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT p.forecast_id, f.model, p.step, p.point_date, p.per_unit FROM forecast_points p JOIN forecasts f ON f.id = p.forecast_id WHERE p.org_id = $1 AND p.fund_id = $2 AND p.period_month = $3 ORDER BY p.forecast_id, p.step")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(month),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DuePoint {
                forecast_id: r.text("forecast_id")?,
                model: r.opt_text("model")?,
                point: PointRow {
                    step: r.i64("step")?,
                    date: date(r, "point_date")?,
                    per_unit: r.parse("per_unit")?,
                },
            })
        })
        .collect()
}

/// One recorded error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRow {
    pub forecast_id: String,
    pub step: i64,
    pub fund_id: String,
    pub model: String,
    pub distribution_id: String,
    pub period_date: NaiveDate,
    pub actual_date: NaiveDate,
    pub predicted_per_unit: Decimal,
    pub actual_per_unit: Decimal,
    pub error: Decimal,
    /// Percent, as text (f64 round-trips through its shortest representation).
    pub ape: Option<String>,
    pub sape: Option<String>,
    pub recorded_at: String,
}

/// Records errors, replacing what was recorded for the same points (a correction's actual
/// replaces the corrected one's).
pub async fn record_errors_tx(
    tx: &mut Tx,
    actor: &Actor,
    rows: &[ErrorRow],
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    for e in rows {
        tx.execute(
            q("DELETE FROM forecast_errors WHERE org_id = $1 AND forecast_id = $2 AND step = $3")
                .bind(&actor.org_id)
                .bind(&e.forecast_id)
                .bind(e.step),
        )
        .await?;
        tx.execute(
            q("INSERT INTO forecast_errors (forecast_id, step, org_id, fund_id, model, distribution_id, period_date, actual_date, predicted_per_unit, actual_per_unit, error, ape, sape, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                .bind(&e.forecast_id)
                .bind(e.step)
                .bind(&actor.org_id)
                .bind(&e.fund_id)
                .bind(&e.model)
                .bind(&e.distribution_id)
                .bind(e.period_date.to_string())
                .bind(e.actual_date.to_string())
                .bind(e.predicted_per_unit.to_string())
                .bind(e.actual_per_unit.to_string())
                .bind(e.error.to_string())
                .bind(e.ape.clone())
                .bind(e.sape.clone())
                .bind(&e.recorded_at),
        )
        .await?;
    }
    Ok(())
}

/// Recorded errors of the organization (optionally of one fund, one model), by fund, model
/// and actual date.
pub async fn errors_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: Option<&str>,
    model: Option<&str>,
) -> Result<Vec<ErrorRow>, StoreError> {
    staff(actor, Permission::Read)?;
    let mut query = q("SELECT forecast_id, step, fund_id, model, distribution_id, period_date, actual_date, predicted_per_unit, actual_per_unit, error, ape, sape, recorded_at FROM forecast_errors WHERE org_id = $1 AND ($2 = '' OR fund_id = $2) AND ($3 = '' OR model = $3) ORDER BY fund_id, model, actual_date, forecast_id, step")
        .bind(&actor.org_id);
    query.push(fund_id.unwrap_or(""));
    query.push(model.unwrap_or(""));
    let rows = tx.fetch_all(query).await?;
    rows.iter()
        .map(|r| {
            Ok(ErrorRow {
                forecast_id: r.text("forecast_id")?,
                step: r.i64("step")?,
                fund_id: r.text("fund_id")?,
                model: r.text("model")?,
                distribution_id: r.text("distribution_id")?,
                period_date: date(r, "period_date")?,
                actual_date: date(r, "actual_date")?,
                predicted_per_unit: r.parse("predicted_per_unit")?,
                actual_per_unit: r.parse("actual_per_unit")?,
                error: r.parse("error")?,
                ape: r.opt_text("ape")?,
                sape: r.opt_text("sape")?,
                recorded_at: r.text("recorded_at")?,
            })
        })
        .collect()
}

/// Records, in the completing transaction, that completion `distribution_id` of `fund_id`
/// still has its forecasting to do (once: a second call is a no-op).
pub async fn queue_completion_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    distribution_id: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO forecast_pending (org_id, fund_id, distribution_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, distribution_id) DO NOTHING")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(distribution_id)
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Takes (deletes and returns) the completions of `fund_id` whose forecasting is still to do:
/// each is taken by exactly one transaction, the others find it gone.
pub async fn take_completions_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Vec<String>, StoreError> {
    staff(actor, Permission::Operate)?;
    tx.fetch_all(
        q("DELETE FROM forecast_pending WHERE org_id = $1 AND fund_id = $2 RETURNING distribution_id")
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| r.text("distribution_id"))
    .collect()
}
