//! Demo capital activity for the partnership (DEMO-LP), on top of its commitments: two capital
//! calls pro rata to uncalled capital (deals DEAL-1 and DEAL-2), every investor's contribution
//! paying them, and 2025's quarterly income allocated by ownership. Seeded with the history (the tour), so
//! tests, which seed no history, see DEMO-LP's capital tables empty.

use chrono::{Duration, NaiveDate};
use clearway_app::capital::{self as app, Batch, CallInput, ContributionInput, IncomeInput};
use clearway_app::AppError;
use clearway_store::{Actor, Db, StoreError};

fn store_error(e: AppError) -> StoreError {
    match e {
        AppError::Store(s) => s,
        AppError::Invalid(i) => StoreError::Invalid(i),
        AppError::Remote(r) => StoreError::Conflict(r),
    }
}

/// Two capital calls pro rata to uncalled capital: half the commitments at the fund's start
/// (deal DEAL-1) and a fifth a year later (DEAL-2), each paid in full ten days after the call.
async fn calls(
    tx: &mut clearway_store::Tx,
    operator: &Actor,
    fund_id: &str,
    start: NaiveDate,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let committed: i64 = clearway_store::capital::partners(tx, operator, fund_id)
        .await?
        .iter()
        .map(|p| p.committed_minor)
        .sum();
    let currency = clearway_core::Currency::USD;
    for (n, (months, fifths, deal)) in [(0, 5, "DEAL-1"), (12, 2, "DEAL-2")]
        .into_iter()
        .enumerate()
    {
        let call_date = start + chrono::Months::new(months);
        let paid = call_date + Duration::days(10);
        let call = CallInput {
            call_date: call_date.to_string(),
            due_date: (call_date + Duration::days(30)).to_string(),
            description: format!("Capital call {}: {deal} acquisition", n + 1),
            deal: Some(deal.into()),
            amount: Some(currency.format_minor(committed / 10 * fifths)),
            ..CallInput::default()
        };
        let batch = Batch {
            calls: vec![call],
            ..Batch::default()
        };
        let out = app::record_batch(
            tx,
            operator,
            fund_id,
            &batch,
            today,
            "capital.call_recorded",
        )
        .await
        .map_err(store_error)?;
        let contributions = out
            .calls
            .iter()
            .flat_map(|(id, c)| {
                c.items
                    .iter()
                    .map(move |(inv, a)| (id.clone(), inv.clone(), *a))
            })
            .map(|(id, inv, a)| ContributionInput {
                investor_id: inv,
                date: paid.to_string(),
                amount: currency.format_minor(a),
                call_id: Some(id),
                ..ContributionInput::default()
            })
            .collect();
        let paid = Batch {
            contributions,
            ..Batch::default()
        };
        app::record_batch(
            tx,
            operator,
            fund_id,
            &paid,
            today,
            "capital.contributions_recorded",
        )
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Seeds the capital activity of `fund_id` (which started on `start`) as `operator`.
pub async fn seed(
    db: &Db,
    operator: &Actor,
    fund_id: &str,
    start: NaiveDate,
) -> Result<(), StoreError> {
    let today = chrono::Utc::now().date_naive();
    let mut tx = db.begin().await?;
    calls(&mut tx, operator, fund_id, start, today).await?;
    for (start, end, amount) in [
        ("2025-01-01", "2025-03-31", "41250.00"),
        ("2025-04-01", "2025-06-30", "52875.50"),
        ("2025-07-01", "2025-09-30", "-18400.25"),
        ("2025-10-01", "2025-12-31", "63010.75"),
    ] {
        let kind = if amount.starts_with('-') {
            "UNREALIZED_GAIN"
        } else {
            "INCOME"
        };
        let input = IncomeInput {
            period_start: start.into(),
            period_end: end.into(),
            kind: kind.into(),
            amount: amount.into(),
            description: "Quarterly result".into(),
        };
        app::record_income(&mut tx, operator, fund_id, &input)
            .await
            .map_err(store_error)?;
    }
    tx.commit().await?;
    Ok(())
}
