//! Demo capital activity for the partnership (DEMO-LP), on top of its commitments: a capital
//! call pro rata to uncalled capital (deal DEAL-1), every investor's contribution paying it,
//! and 2025's quarterly income allocated by ownership. Seeded with the history (the tour), so
//! tests, which seed no history, see DEMO-LP's capital tables empty.

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

/// Seeds the capital activity of `fund_id` as `operator`.
pub async fn seed(db: &Db, operator: &Actor, fund_id: &str) -> Result<(), StoreError> {
    let today = chrono::Utc::now().date_naive();
    let mut tx = db.begin().await?;
    let call = CallInput {
        call_date: "2025-01-15".into(),
        due_date: "2025-02-14".into(),
        description: "Capital call 1: DEAL-1 acquisition".into(),
        deal: Some("DEAL-1".into()),
        amount: Some("2500000.00".into()),
        ..CallInput::default()
    };
    let batch = Batch {
        calls: vec![call],
        ..Batch::default()
    };
    let out = app::record_batch(
        &mut tx,
        operator,
        fund_id,
        &batch,
        today,
        "capital.call_recorded",
    )
    .await
    .map_err(store_error)?;
    let currency = clearway_core::Currency::parse("USD").map_err(StoreError::Corrupt)?;
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
            date: "2025-02-10".into(),
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
        &mut tx,
        operator,
        fund_id,
        &paid,
        today,
        "capital.contributions_recorded",
    )
    .await
    .map_err(store_error)?;
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
