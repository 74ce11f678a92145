//! Form 1042-S: the rows (income code, rate) of each foreign recipient's year in an open-end
//! fund, issued as one form record whose figures are the rows.

use clearway_core::tax::form1042::{self, Form1042S};
use clearway_core::tax::profile::{Residency, TaxProfile};
use clearway_store::tax::forms::{self as store, FormRecord, Span, YearInvestor};
use clearway_store::{Actor, StoreError, Tx};

use super::forms::{check_1099_fund, FundYear};
use crate::AppResult;

/// The form's name in `tax_forms`.
pub const FORM: &str = "1042-S";

/// Whether the investor is a foreign recipient (a profile saying so; none: a US person).
pub fn is_foreign(profile: Option<&TaxProfile>) -> bool {
    profile.is_some_and(|p| p.residency == Residency::Foreign)
}

/// The rows of a foreign recipient (None: not a foreign recipient).
pub fn forms_of(fy: &FundYear, inv: &YearInvestor) -> Option<Vec<Form1042S>> {
    let profile = inv
        .profile
        .as_ref()
        .filter(|p| p.residency == Residency::Foreign)?;
    Some(form1042::forms(
        fy.year,
        &inv.lines,
        profile,
        &fy.tax.settings.designations,
    ))
}

/// The rows as issued (JSON).
pub fn figures_json(rows: &[Form1042S]) -> String {
    serde_json::to_string(rows).unwrap_or_default()
}

/// One recipient's 1042-S rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Investor.
    pub investor_id: String,
    /// Name.
    pub name: String,
    /// Profile.
    pub profile: TaxProfile,
    /// Rows (one per income code and rate).
    pub rows: Vec<Form1042S>,
}

/// The 1042-S recipients of `span` (staff), in investor order; recipients paid nothing are left out.
pub async fn recipients(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    span: Span<'_>,
) -> AppResult<Vec<Recipient>> {
    check_1099_fund(&fy.fund)?;
    let mut out = Vec::new();
    store::year_lines_tx(tx, actor, &fy.fund.id, fy.year, span, |inv| {
        if let (Some(rows), Some(profile)) = (forms_of(fy, &inv), inv.profile.clone()) {
            if !rows.is_empty() {
                out.push(Recipient {
                    investor_id: inv.investor_id,
                    name: inv.name,
                    profile,
                    rows,
                });
            }
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

/// One investor's 1042-S of a fund-year: staff see the rows as they stand, the investor the
/// rows as issued (404 before); with the newest issue.
pub async fn investor_1042(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
    fund_id: &str,
) -> AppResult<(
    clearway_store::funds::Fund,
    Vec<Form1042S>,
    Option<FormRecord>,
)> {
    clearway_store::reinvestment::check_investor_tx(tx, actor, investor_id).await?;
    let fund = clearway_store::funds::get_fund_tx(tx, actor, fund_id).await?;
    super::years::require_closed(tx, actor, year).await?;
    check_1099_fund(&fund)?;
    let issued = store::latest_tx(tx, actor, &fund.id, investor_id, year, FORM).await?;
    if actor.investor_id.is_some() {
        let rec = issued.ok_or(StoreError::NotFound("1042-S"))?;
        let rows: Vec<Form1042S> = serde_json::from_str(&rec.figures)
            .map_err(|_| StoreError::Corrupt("tax_forms.figures".into()))?;
        return Ok((fund, rows, Some(rec)));
    }
    let tax = store::fund_tax_tx(tx, actor, &fund.id).await?;
    let fy = FundYear { fund, tax, year };
    let r = recipients(tx, actor, &fy, Span::One(investor_id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound("1042-S"))?;
    Ok((fy.fund, r.rows, issued))
}

/// One recipient's 1042-S as a PDF or CSV.
pub async fn file_1042(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
    fund_id: &str,
    pdf: bool,
) -> AppResult<super::forms::FormFile> {
    let (fund, rows, _) = investor_1042(tx, actor, investor_id, year, fund_id).await?;
    let who = store::recipients_tx(tx, actor, &[investor_id.to_string()])
        .await?
        .remove(investor_id)
        .unwrap_or_default();
    let base = format!("1042-S-{year}-{}-{investor_id}", fund.code);
    if !pdf {
        let flat: Vec<(String, String, Form1042S)> = rows
            .into_iter()
            .map(|r| (investor_id.to_string(), who.name.clone(), r))
            .collect();
        let csv = clearway_formats::tax::forms::form1042s_csv(&flat);
        return Ok(super::forms::FormFile {
            bytes: csv.into_bytes(),
            content_type: "text/csv; charset=utf-8",
            filename: format!("{base}.csv"),
        });
    }
    let tax = store::fund_tax_tx(tx, actor, &fund.id).await?;
    let (agent_name, agent_ein, _) = super::forms::payer_lines(&fund, &tax);
    let doc = clearway_formats::tax::forms::Form1042SDoc {
        year,
        agent_name,
        agent_ein,
        recipient_name: who.name,
        recipient_country: rows
            .first()
            .and_then(|r| r.recipient_country.clone())
            .unwrap_or_default(),
        recipient_foreign_tin: None,
        forms: rows,
    };
    let bytes = clearway_formats::documents::render(
        &doc.layout(),
        clearway_formats::documents::Format::Pdf,
    )
    .map_err(|e| crate::AppError::Remote(format!("the 1042-S PDF could not be written: {e}")))?;
    Ok(super::forms::FormFile {
        bytes,
        content_type: "application/pdf",
        filename: format!("{base}.pdf"),
    })
}
