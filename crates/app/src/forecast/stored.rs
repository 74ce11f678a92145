//! Stored forecasts: stored on request or as a snapshot after a distribution completes; when
//! an actual distribution completes, the error of every stored forecast with a point in its
//! month is recorded; the accuracy report over time per fund and model.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::Kind;
use clearway_core::forecast::metrics::{point_ape, point_sape};
use clearway_core::forecast::select::Accuracy;
use clearway_core::forecast::Model;
use clearway_core::Currency;
use clearway_store::audit::{self, Change};
use clearway_store::distributions::Distribution;
use clearway_store::forecast::stored::{self as store, ErrorRow, ForecastRow, PointRow};
use clearway_store::{new_id, now_text, outbox, Actor, StoreError, Tx};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::fund::{month_of, of_series};
use super::series::{self, f64_of};
use super::{
    AccuracyPeriod, AccuracyReport, AccuracyRow, Actual, ForecastPoint, Frequency, FundForecast,
    RecordedError, Request, StoredForecast,
};
use crate::AppResult;

/// Stores the current forecast of `fund_id` (trigger `REQUEST`), audited, with an event.
pub async fn store(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    req: &Request,
) -> AppResult<StoredForecast> {
    actor.require(Permission::Operate)?;
    let s = series::load(tx, actor, fund_id).await?;
    let f = of_series(&s, req)?;
    save(tx, actor, &f, "REQUEST").await
}

async fn save(
    tx: &mut Tx,
    actor: &Actor,
    f: &FundForecast,
    trigger: &str,
) -> AppResult<StoredForecast> {
    let row = ForecastRow {
        id: new_id(),
        fund_id: f.fund_id.clone(),
        trigger: trigger.into(),
        created_by: actor.user_id.clone(),
        created_at: now_text(),
        currency: f.currency.code().into(),
        frequency: f.frequency.name().into(),
        horizon: f.horizon as i64,
        requested_model: f.requested_model.map(|m| m.name().into()),
        model: f.model.map(|m| m.name().into()),
        label: f.label.clone(),
        fingerprint: f.based_on.fingerprint.clone(),
        input: Value::Array(f.history.iter().map(actual_json).collect()).to_string(),
        points: Value::Array(f.points.iter().map(point_json).collect()).to_string(),
        accuracy: serde_json::to_string(&f.accuracy).unwrap_or_else(|_| "{}".into()),
        notes: json!(f.notes).to_string(),
    };
    let points: Vec<PointRow> = f
        .points
        .iter()
        .map(|p| PointRow {
            step: p.step as i64,
            date: p.date,
            per_unit: p.per_unit,
        })
        .collect();
    store::insert_tx(tx, actor, &row, &points).await?;
    let summary = json!({ "fundId": row.fund_id, "trigger": trigger, "model": row.model, "horizon": row.horizon, "fingerprint": row.fingerprint });
    audit::record(
        tx,
        actor,
        Change {
            action: "forecast.store",
            entity_type: "forecast",
            entity_id: &row.id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "forecast.stored", "forecast", &row.id, summary).await?;
    from_row(&row)
}

fn actual_json(a: &Actual) -> Value {
    json!({ "date": a.date.to_string(), "perUnit": a.per_unit.to_string(), "totalMinor": a.total_minor, "units": a.units.to_string(), "distributionId": a.distribution_id })
}

fn point_json(p: &ForecastPoint) -> Value {
    json!({ "step": p.step, "date": p.date.to_string(),
        "perUnit": [p.per_unit.to_string(), p.per_unit_lower80.to_string(), p.per_unit_upper80.to_string(), p.per_unit_lower95.to_string(), p.per_unit_upper95.to_string()],
        "totalMinor": [p.total_minor, p.total_lower80_minor, p.total_upper80_minor, p.total_lower95_minor, p.total_upper95_minor] })
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("stored forecast {what}"))
}

fn dec(v: &Value) -> Result<Decimal, StoreError> {
    v.as_str()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| corrupt("decimal"))
}

fn day(v: &Value) -> Result<NaiveDate, StoreError> {
    v.as_str()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| corrupt("date"))
}

fn actual_of(v: &Value) -> Result<Actual, StoreError> {
    Ok(Actual {
        date: day(&v["date"])?,
        per_unit: dec(&v["perUnit"])?,
        total_minor: v["totalMinor"].as_i64().ok_or_else(|| corrupt("total"))?,
        units: dec(&v["units"])?,
        distribution_id: v["distributionId"].as_str().unwrap_or_default().into(),
    })
}

fn point_of(v: &Value) -> Result<ForecastPoint, StoreError> {
    let pu = |i: usize| dec(&v["perUnit"][i]);
    let t = |i: usize| v["totalMinor"][i].as_i64().ok_or_else(|| corrupt("total"));
    Ok(ForecastPoint {
        step: v["step"].as_u64().ok_or_else(|| corrupt("step"))? as usize,
        date: day(&v["date"])?,
        per_unit: pu(0)?,
        per_unit_lower80: pu(1)?,
        per_unit_upper80: pu(2)?,
        per_unit_lower95: pu(3)?,
        per_unit_upper95: pu(4)?,
        total_minor: t(0)?,
        total_lower80_minor: t(1)?,
        total_upper80_minor: t(2)?,
        total_lower95_minor: t(3)?,
        total_upper95_minor: t(4)?,
    })
}

fn accuracy_of(v: &Value) -> Accuracy {
    let f = |k: &str| v[k].as_f64().filter(|x| x.is_finite());
    Accuracy {
        origins: v["origins"].as_u64().unwrap_or(0) as usize,
        points: v["points"].as_u64().unwrap_or(0) as usize,
        mape: f("mape"),
        smape: f("smape"),
        mase: f("mase"),
        coverage80: f("coverage80"),
        coverage95: f("coverage95"),
        notes: strings(&v["notes"]),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn frequency_of(name: &str) -> Frequency {
    [
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::SemiAnnual,
        Frequency::Annual,
    ]
    .into_iter()
    .find(|f| f.name() == name)
    .unwrap_or(Frequency::Irregular)
}

fn from_row(r: &ForecastRow) -> AppResult<StoredForecast> {
    let parse = |t: &str| serde_json::from_str::<Value>(t).map_err(|_| corrupt("JSON"));
    let input = parse(&r.input)?;
    let points = parse(&r.points)?;
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    Ok(StoredForecast {
        id: r.id.clone(),
        fund_id: r.fund_id.clone(),
        trigger: r.trigger.clone(),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
        currency: Currency::parse(&r.currency).map_err(StoreError::Corrupt)?,
        frequency: frequency_of(&r.frequency),
        horizon: r.horizon as usize,
        requested_model: r.requested_model.as_deref().and_then(Model::parse),
        model: r.model.as_deref().and_then(Model::parse),
        label: r.label.clone(),
        input: list(&input)
            .iter()
            .map(actual_of)
            .collect::<Result<_, _>>()?,
        fingerprint: r.fingerprint.clone(),
        points: list(&points)
            .iter()
            .map(point_of)
            .collect::<Result<_, _>>()?,
        accuracy: accuracy_of(&parse(&r.accuracy)?),
        notes: strings(&parse(&r.notes)?),
    })
}

/// A page of the fund's stored forecasts, newest first, and the total.
pub async fn list(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<StoredForecast>, i64)> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = clearway_store::funds::get_fund_tx(tx, actor, fund_id).await?;
    let (rows, total) = store::list_tx(tx, actor, &fund.id, limit, offset).await?;
    let out = rows.iter().map(from_row).collect::<AppResult<_>>()?;
    Ok((out, total))
}

/// Job kind: record the forecast errors a completed distribution settles and store the
/// fund's snapshot forecast.
pub const SNAPSHOT_JOB: &str = "forecast.snapshot";

/// Called in the completing transaction: queues the forecasting work of completion `d`: the
/// errors of stored forecasts with a point in the month of its actual, and a fresh `SNAPSHOT`
/// forecast. Reversals change no actual to judge against (the next snapshot reflects them).
/// The work runs in [`run_snapshot_job`], off the completion's path: a snapshot fits the
/// fund's whole history, so one per completion made a burst of n completions cost O(n²);
/// queued, a burst shares one.
pub async fn after_completion(tx: &mut Tx, actor: &Actor, d: &Distribution) -> AppResult<()> {
    if d.kind == Kind::Reversal {
        return Ok(());
    }
    store::queue_completion_tx(tx, actor, &d.fund_id, &d.id).await?;
    clearway_store::jobs::enqueue(
        tx,
        &Actor::system(&actor.org_id),
        SNAPSHOT_JOB,
        json!({ "fundId": d.fund_id, "distributionId": d.id }),
        Some(&format!("{SNAPSHOT_JOB}:{}:{}", d.fund_id, d.id)),
        4,
    )
    .await?;
    Ok(())
}

/// The snapshot job ([`SNAPSHOT_JOB`]): takes every completion of its fund whose forecasting
/// is still to do (its own, unless a job that ran meanwhile took it along), loads the fund's
/// history once, records the errors of the stored forecasts each completion settles, and
/// stores one snapshot from the history as it now stands. Nothing left to take: done.
pub async fn run_snapshot_job(
    db: &clearway_store::Db,
    job: &clearway_store::jobs::Job,
    worker_id: &str,
) -> Result<(), crate::jobs::JobError> {
    let mut tx = db.begin().await?;
    snapshot_tx(&mut tx, job).await?;
    clearway_store::jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn snapshot_tx(tx: &mut Tx, job: &clearway_store::jobs::Job) -> AppResult<()> {
    let actor = Actor::system(&job.org_id);
    let fund_id = crate::jobs::payload_text(job, "fundId")
        .map_err(|e| StoreError::Corrupt(format!("job {}: {e}", job.id)))?;
    let completed = store::take_completions_tx(tx, &actor, &fund_id).await?;
    if completed.is_empty() {
        return Ok(());
    }
    let s = series::load(tx, &actor, &fund_id).await?;
    // The actual each completion produced (a correction's sits at the corrected one's date).
    for id in &completed {
        if let Some(a) = s.actuals.iter().find(|a| &a.distribution_id == id) {
            record(tx, &actor, &s.fund.id, a).await?;
        }
    }
    let f = of_series(&s, &Request::default())?;
    save(tx, &actor, &f, "SNAPSHOT").await?;
    Ok(())
}

/// Symmetric APE in percent (0–200); None when both are zero.
async fn record(tx: &mut Tx, actor: &Actor, fund_id: &str, a: &Actual) -> AppResult<()> {
    let month = a.date.format("%Y-%m").to_string();
    let due = store::points_in_month_tx(tx, actor, fund_id, &month).await?;
    let now = now_text();
    let rows: Vec<ErrorRow> = due
        .into_iter()
        .map(|p| {
            let (actual, predicted) = (f64_of(a.per_unit), f64_of(p.point.per_unit));
            let ape = point_ape(actual, predicted);
            ErrorRow {
                forecast_id: p.forecast_id,
                step: p.point.step,
                fund_id: fund_id.into(),
                model: p.model.unwrap_or_else(|| "none".into()),
                distribution_id: a.distribution_id.clone(),
                period_date: p.point.date,
                actual_date: a.date,
                predicted_per_unit: p.point.per_unit,
                actual_per_unit: a.per_unit,
                error: a.per_unit - p.point.per_unit,
                ape: ape.map(|v| v.to_string()),
                sape: point_sape(actual, predicted).map(|v| v.to_string()),
                recorded_at: now.clone(),
            }
        })
        .collect();
    store::record_errors_tx(tx, actor, &rows).await?;
    Ok(())
}

fn recorded(e: &ErrorRow) -> RecordedError {
    let num = |t: &Option<String>| t.as_deref().and_then(|v| v.parse::<f64>().ok());
    RecordedError {
        forecast_id: e.forecast_id.clone(),
        fund_id: e.fund_id.clone(),
        model: Model::parse(&e.model),
        distribution_id: e.distribution_id.clone(),
        period: e.period_date,
        actual_date: e.actual_date,
        step: e.step as usize,
        predicted_per_unit: e.predicted_per_unit,
        actual_per_unit: e.actual_per_unit,
        error: e.error,
        ape: num(&e.ape),
        sape: num(&e.sape),
        recorded_at: e.recorded_at.clone(),
    }
}

/// The errors recorded for the organization (optionally one fund, one model).
pub async fn errors(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: Option<&str>,
    model: Option<&str>,
) -> AppResult<Vec<RecordedError>> {
    let rows = store::errors_tx(tx, actor, fund_id, model).await?;
    Ok(rows.iter().map(recorded).collect())
}

/// Count, MAPE (over defined APEs), sMAPE and mean error of some errors.
fn summary(errs: &[&RecordedError]) -> (usize, Option<f64>, Option<f64>, f64) {
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let mape = mean(errs.iter().filter_map(|e| e.ape).collect());
    let smape = mean(errs.iter().filter_map(|e| e.sape).collect());
    let me = mean(errs.iter().map(|e| f64_of(e.error)).collect()).unwrap_or(0.0);
    (errs.len(), mape, smape, me)
}

/// Accuracy over time per fund and model (optionally one fund, one model).
pub async fn accuracy(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: Option<&str>,
    model: Option<&str>,
) -> AppResult<AccuracyReport> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("forecast accuracy").into());
    }
    let fund = match fund_id {
        Some(id) => Some(clearway_store::funds::get_fund_tx(tx, actor, id).await?),
        None => None,
    };
    if let Some(m) = model {
        if m != "none" && Model::parse(m).is_none() {
            return Err(crate::AppError::field("model", "is not a model name"));
        }
    }
    let errs = errors(tx, actor, fund.as_ref().map(|f| f.id.as_str()), model).await?;
    let mut groups: BTreeMap<(String, String), Vec<&RecordedError>> = BTreeMap::new();
    for e in &errs {
        let model = e.model.map_or("none", |m| m.name()).to_string();
        groups
            .entry((e.fund_id.clone(), model))
            .or_default()
            .push(e);
    }
    let mut rows = Vec::new();
    for ((fund_id, model), es) in groups {
        let code = clearway_store::funds::get_fund_tx(tx, actor, &fund_id)
            .await
            .map(|f| f.code)
            .unwrap_or_default();
        let mut by_month: BTreeMap<NaiveDate, Vec<&RecordedError>> = BTreeMap::new();
        for e in &es {
            by_month.entry(month_of(e.actual_date)).or_default().push(e);
        }
        let periods = by_month
            .into_iter()
            .map(|(month, v)| {
                let (count, mape, smape, mean_error) = summary(&v);
                AccuracyPeriod {
                    month,
                    count,
                    mape,
                    smape,
                    mean_error,
                }
            })
            .collect();
        let (count, mape, smape, mean_error) = summary(&es);
        rows.push(AccuracyRow {
            fund_id,
            fund_code: code,
            model,
            count,
            mape,
            smape,
            mean_error,
            periods,
        });
    }
    Ok(AccuracyReport { rows })
}
