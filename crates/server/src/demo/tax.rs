//! Demo year-end tax for the tour: tax profiles for every investor (certified US persons with
//! TINs, one without a TIN, one under a B notice, the UK residents on W-8BEN claiming the treaty),
//! the treaty and state tables, the funds' payer details, the transmitter, K-1 items of 2025 for
//! DEMO-LP, then 2025 closed and its forms issued (1099-DIV and 1042-S for DEMO-OPEN, K-1s for
//! DEMO-LP). Withholding is switched on for the organization from here on (the history was paid
//! before it was a withholding agent). Seeded with the history only: tests build their own.

use chrono::NaiveDate;
use clearway_app::tax::{fire, forms, k1, profiles, rates, years};
use clearway_app::AppError;
use clearway_core::tax::profile::ProfileInput;
use clearway_core::tax::withholding::Designations;
use clearway_store::tax::fire::Transmitter;
use clearway_store::tax::forms::Span;
use clearway_store::{Actor, Db, StoreError};

use crate::payments::Vault;

fn store_error(e: AppError) -> StoreError {
    match e {
        AppError::Store(s) => s,
        AppError::Invalid(i) => StoreError::Invalid(i),
        AppError::Remote(r) => StoreError::Conflict(r),
    }
}

/// The profile of the demo investor at `i` (0-based) with the given tax residence.
fn profile(i: usize, residence: &str) -> ProfileInput {
    if residence == "GB" {
        return ProfileInput {
            tin_status: "MISSING".into(),
            residency: "FOREIGN".into(),
            certificate: Some("W-8BEN".into()),
            country: Some("GB".into()),
            treaty_claim: true,
            treaty_article: Some("Article 10(2)(b)".into()),
            chapter3_status: Some("16".into()),
            chapter4_status: Some("16".into()),
            foreign_tin: Some(format!("QQ{:06}C", 123_456 + i)),
            ..ProfileInput::default()
        };
    }
    match i {
        1 => ProfileInput {
            tin_status: "MISSING".into(),
            residency: "US".into(),
            ..ProfileInput::default()
        },
        2 => ProfileInput {
            tin_type: Some("SSN".into()),
            tin: Some(format!("{:03}-45-{:04}", 200 + i, 6000 + i)),
            tin_status: "B_NOTICE".into(),
            residency: "US".into(),
            certificate: Some("W-9".into()),
            ..ProfileInput::default()
        },
        _ => ProfileInput {
            tin_type: Some("SSN".into()),
            tin: Some(format!(
                "{:03}-{:02}-{:04}",
                100 + i % 600,
                10 + i % 89,
                1000 + i
            )),
            tin_status: "CERTIFIED".into(),
            residency: "US".into(),
            certificate: Some("W-9".into()),
            residence_state: Some(if i.is_multiple_of(5) { "OR" } else { "IL" }.into()),
            ..ProfileInput::default()
        },
    }
}

/// Seeds the demo's tax year (see the module docs).
#[allow(clippy::too_many_arguments)]
pub async fn seed(
    db: &Db,
    admin: &Actor,
    vault: &Vault,
    investors: &[(String, String)],
    open_fund_id: &str,
    lp_fund_id: &str,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    setup(&mut tx, admin, vault, investors, open_fund_id, lp_fund_id)
        .await
        .map_err(store_error)?;
    tx.commit().await?;
    // 2025 closed and its forms issued, when the demo's today is past it.
    let mut tx = db.begin().await?;
    if years::check_ended(2025, today).is_err() {
        return Ok(());
    }
    years::close(&mut tx, admin, 2025, today)
        .await
        .map_err(store_error)?;
    let fy = forms::fund_year(&mut tx, admin, open_fund_id, 2025)
        .await
        .map_err(store_error)?;
    forms::issue_span(&mut tx, admin, &fy, Span::All)
        .await
        .map_err(store_error)?;
    k1::issue_all(&mut tx, admin, lp_fund_id, 2025)
        .await
        .map_err(store_error)?;
    tx.commit().await?;
    Ok(())
}

async fn setup(
    tx: &mut clearway_store::Tx,
    admin: &Actor,
    vault: &Vault,
    investors: &[(String, String)],
    open_fund_id: &str,
    lp_fund_id: &str,
) -> Result<(), AppError> {
    for (i, (id, residence)) in investors.iter().enumerate() {
        profiles::put(tx, admin, vault, id, &profile(i, residence)).await?;
    }
    rates::put_treaty(
        tx,
        admin,
        &[
            treaty("GB", "DIVIDENDS", "15"),
            treaty("GB", "INTEREST", "0"),
            treaty("GB", "CAPITAL_GAINS", "0"),
        ],
    )
    .await?;
    rates::put_states(
        tx,
        admin,
        &[rates::StateRateInput {
            state: "OR".into(),
            rate: "8".into(),
            payer_state_id: Some("OR-0012345".into()),
        }],
    )
    .await?;
    for (fund, name, tin) in [
        (open_fund_id, "CLEARWAY DEMO OPEN FUND", "521234567"),
        (lp_fund_id, "CLEARWAY DEMO PARTNERS LP", "521234568"),
    ] {
        let input = rates::FundSettingsInput {
            designations: Designations {
                capital_gain_exempt: true,
                short_term_gain_exempt: false,
                interest_related_exempt: true,
            },
            interest_is_exempt_interest: false,
            section199a_percent: Some("0".into()),
            foreign_tax_country: None,
            payer_tin: Some(tin.into()),
            payer_name: Some(name.into()),
            payer_address: Some("1 HARBOR WAY".into()),
            payer_city: Some("BOSTON".into()),
            payer_state: Some("MA".into()),
            payer_zip: Some("02110".into()),
            payer_phone: Some("6175550100".into()),
        };
        rates::put_fund(tx, admin, fund, &input).await?;
    }
    fire::put_transmitter(
        tx,
        admin,
        &Transmitter {
            tcc: "5D123".into(),
            tin: "521234569".into(),
            name: "CLEARWAY DEMO ADMINISTRATORS".into(),
            address: "1 HARBOR WAY".into(),
            city: "BOSTON".into(),
            state: "MA".into(),
            zip: "02110".into(),
            contact_name: "TAX DESK".into(),
            contact_phone: "6175550100".into(),
            contact_email: "tax@example.com".into(),
            updated_at: String::new(),
        },
    )
    .await?;
    for (line, code, amount, description) in [
        ("5", "", "12500.00", "Interest on cash balances"),
        ("6a", "", "48200.00", "Dividends from portfolio companies"),
        ("6b", "", "30100.00", "Qualified part of line 6a"),
        (
            "9a",
            "",
            "1250000.00",
            "Gain on the sale of Portfolio Co. A",
        ),
        ("13", "H", "15000.00", "Investment interest expense"),
        ("20", "A", "48200.00", "Investment income"),
    ] {
        k1::add_item(
            tx,
            admin,
            lp_fund_id,
            &k1::ItemInput {
                tax_year: 2025,
                line: line.into(),
                code: code.into(),
                amount: amount.into(),
                description: description.into(),
            },
        )
        .await?;
    }
    rates::put_enabled(tx, admin, true).await?;
    Ok(())
}

fn treaty(country: &str, income: &str, rate: &str) -> rates::TreatyRateInput {
    rates::TreatyRateInput {
        country: country.into(),
        income_type: income.into(),
        rate: rate.into(),
    }
}
