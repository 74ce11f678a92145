//! Form 1099-DIV: the figures of each US investor's year in an open-end (RIC-style) fund,
//! the $10 rule, and issuing them (same figures: unchanged; changed after an issue:
//! CORRECTED). Forms are in USD; a year must be closed before anything is issued.

use clearway_core::distribution::FundKind;
use clearway_core::money::Currency;
use clearway_core::tax::form1099::{self, Div1099};
use clearway_core::tax::profile::{Residency, TaxProfile};
use clearway_core::tax::withholding::Regime;
use clearway_store::funds::{get_fund_tx, Fund};
use clearway_store::tax::forms::{self as store, FormRecord, FundTax, Span, YearInvestor};
use clearway_store::{audit, outbox, Actor, StoreError, Tx};
use serde_json::json;

use super::years::require_closed;
use crate::{AppError, AppResult};

/// The form's name in `tax_forms`.
pub const FORM: &str = "1099-DIV";

/// A fund as payer of a year's forms.
#[derive(Debug, Clone)]
pub struct FundYear {
    /// The fund.
    pub fund: Fund,
    /// Its tax settings.
    pub tax: FundTax,
    /// The (closed) year.
    pub year: i32,
}

/// One investor's 1099-DIV figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivForm {
    /// Investor.
    pub investor_id: String,
    /// Name.
    pub name: String,
    /// Profile (None: never entered, a US person without TIN).
    pub profile: Option<TaxProfile>,
    /// Boxes.
    pub figures: Div1099,
    /// Due by the $10 rule.
    pub due: bool,
}

/// Loads the fund (404 to an investor and to another organization) and its settings, then
/// refuses a year still open (422 `taxYear`).
pub async fn fund_year(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> AppResult<FundYear> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = get_fund_tx(tx, actor, fund_id).await?;
    require_closed(tx, actor, year).await?;
    let tax = store::fund_tax_tx(tx, actor, &fund.id).await?;
    Ok(FundYear { fund, tax, year })
}

/// 1099-DIVs are for open-end funds, in USD (422 `fundId` otherwise).
pub fn check_1099_fund(fund: &Fund) -> AppResult<()> {
    if fund.kind != FundKind::OpenEnd {
        return Err(AppError::field(
            "fundId",
            "1099-DIV and 1042-S are for open-end (RIC-style) funds; a partnership issues K-1s",
        ));
    }
    if fund.currency != Currency::USD {
        return Err(AppError::field(
            "fundId",
            format!("forms are in USD; this fund is in {}", fund.currency.code()),
        ));
    }
    Ok(())
}

/// Whether a 1099-DIV goes to this investor: a US person (no profile: a US person without TIN)
/// that is not an exempt payee.
pub fn is_1099_recipient(profile: Option<&TaxProfile>) -> bool {
    profile.is_none_or(|p| p.residency == Residency::Us && p.exempt_payee_code.is_none())
}

/// The 1099-DIV of one investor's lines.
pub fn div_form(fy: &FundYear, inv: YearInvestor) -> Option<DivForm> {
    if !is_1099_recipient(inv.profile.as_ref()) {
        return None;
    }
    let fatca = inv.profile.as_ref().is_some_and(|p| p.fatca_filing);
    let figures = form1099::figures(fy.year, &inv.lines, &fy.tax.settings, fatca);
    let due = form1099::must_file(&figures);
    Some(DivForm {
        investor_id: inv.investor_id,
        name: inv.name,
        profile: inv.profile,
        figures,
        due,
    })
}

/// The 1099-DIVs of the investors of `span` (staff), in investor order.
pub async fn div_forms(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    span: Span<'_>,
) -> AppResult<Vec<DivForm>> {
    check_1099_fund(&fy.fund)?;
    let mut out = Vec::new();
    store::year_lines_tx(tx, actor, &fy.fund.id, fy.year, span, |inv| {
        out.extend(div_form(fy, inv));
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The figures as issued (JSON; the fingerprint is of this text).
pub fn figures_json(d: &Div1099) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

/// Issues a form unless nothing is owed: a form not due and never issued is not issued; a
/// form issued before is re-issued (CORRECTED) when its figures changed, even below $10.
pub async fn issue_one(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    investor_id: &str,
    form: &str,
    figures: &str,
    due: bool,
) -> AppResult<Option<(FormRecord, bool)>> {
    if !due
        && store::latest_tx(tx, actor, &fy.fund.id, investor_id, fy.year, form)
            .await?
            .is_none()
    {
        return Ok(None);
    }
    let out = store::issue_tx(tx, actor, &fy.fund.id, investor_id, fy.year, form, figures).await?;
    if out.1 {
        let r = &out.0;
        audit::record(
            tx,
            actor,
            audit::Change {
                action: if r.corrected {
                    "tax_form.correct"
                } else {
                    "tax_form.issue"
                },
                entity_type: "tax_form",
                entity_id: &r.id,
                before: None,
                after: Some(json!({
                    "form": r.form, "fundId": r.fund_id, "investorId": r.investor_id,
                    "taxYear": r.tax_year, "seq": r.seq, "corrected": r.corrected,
                    "fingerprint": r.fingerprint,
                })),
            },
        )
        .await?;
        outbox::emit(
            tx,
            actor,
            "tax_form.issued",
            "tax_form",
            &r.id,
            json!({ "form": r.form, "fundId": r.fund_id, "investorId": r.investor_id, "taxYear": r.tax_year, "seq": r.seq, "corrected": r.corrected }),
        )
        .await?;
    }
    Ok(Some(out))
}

/// Counts of an issue pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Issued {
    /// New issues (first or corrected).
    pub issued: u64,
    /// Same figures as the newest issue.
    pub unchanged: u64,
}

impl Issued {
    /// Adds one issue's outcome.
    pub fn add(&mut self, outcome: Option<&(FormRecord, bool)>) {
        match outcome {
            Some((_, true)) => self.issued += 1,
            Some((_, false)) => self.unchanged += 1,
            None => {}
        }
    }
}

/// Issues the 1099-DIVs and 1042-Ss of the investors of `span` (operators, closed year).
pub async fn issue_span(
    tx: &mut Tx,
    actor: &Actor,
    fy: &FundYear,
    span: Span<'_>,
) -> AppResult<Issued> {
    check_1099_fund(&fy.fund)?;
    let mut investors = Vec::new();
    store::year_lines_tx(tx, actor, &fy.fund.id, fy.year, span, |inv| {
        investors.push(inv);
        Ok(())
    })
    .await?;
    let mut count = Issued::default();
    for inv in investors {
        let id = inv.investor_id.clone();
        if let Some(rows) = super::form1042::forms_of(fy, &inv) {
            let text = super::form1042::figures_json(&rows);
            let out = issue_one(
                tx,
                actor,
                fy,
                &id,
                super::form1042::FORM,
                &text,
                !rows.is_empty(),
            )
            .await?;
            count.add(out.as_ref());
        } else if let Some(d) = div_form(fy, inv) {
            let text = figures_json(&d.figures);
            let out = issue_one(tx, actor, fy, &id, FORM, &text, d.due).await?;
            count.add(out.as_ref());
        }
    }
    Ok(count)
}

/// An investor's 1099-DIV of a fund-year: the figures (staff: as computed now; the investor:
/// as issued) and the newest issue.
#[derive(Debug, Clone)]
pub struct InvestorDiv {
    /// Fund.
    pub fund: Fund,
    /// The figures.
    pub figures: Div1099,
    /// Due by the $10 rule.
    pub due: bool,
    /// The newest issue, if any.
    pub issued: Option<FormRecord>,
}

/// One investor's 1099-DIV. An investor reads only their own, and only once issued (404
/// otherwise); staff see the figures as they stand.
pub async fn investor_div(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
    fund_id: &str,
) -> AppResult<InvestorDiv> {
    clearway_store::reinvestment::check_investor_tx(tx, actor, investor_id).await?;
    let fund = get_fund_tx(tx, actor, fund_id).await?;
    require_closed(tx, actor, year).await?;
    check_1099_fund(&fund)?;
    let issued = store::latest_tx(tx, actor, &fund.id, investor_id, year, FORM).await?;
    if actor.investor_id.is_some() {
        let rec = issued.ok_or(StoreError::NotFound("1099-DIV"))?;
        let figures: Div1099 = serde_json::from_str(&rec.figures)
            .map_err(|_| StoreError::Corrupt("tax_forms.figures".into()))?;
        let due = form1099::must_file(&figures);
        return Ok(InvestorDiv {
            fund,
            figures,
            due,
            issued: Some(rec),
        });
    }
    let tax = store::fund_tax_tx(tx, actor, &fund.id).await?;
    let fy = FundYear { fund, tax, year };
    let form = div_forms(tx, actor, &fy, Span::One(investor_id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound("1099-DIV"))?;
    Ok(InvestorDiv {
        fund: fy.fund,
        figures: form.figures,
        due: form.due,
        issued,
    })
}

/// A fund-year's totals: what was paid by component, withheld, and the forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Investors with lines.
    pub investors: u64,
    /// Paid per component, in `ComponentKind::ALL` order.
    pub components: [i64; 6],
    /// Foreign tax paid.
    pub foreign_tax: i64,
    /// Backup withholding (Form 945).
    pub backup_withheld: i64,
    /// Chapter 3 withholding (Form 1042).
    pub chapter3_withheld: i64,
    /// State withholding per state.
    pub state_withheld: std::collections::BTreeMap<String, i64>,
    /// 1099-DIV recipients, and those due by the $10 rule.
    pub div_recipients: u64,
    /// Due by the $10 rule.
    pub div_due: u64,
    /// Sum of every recipient's boxes (states summed into box 16 per state above).
    pub div_totals: Div1099,
    /// 1042-S recipients paid something.
    pub s1042_recipients: u64,
    /// Issued forms per form: (investors with an issue, corrected newest issues).
    pub issued: Vec<(String, i64, i64)>,
}

/// The fund-year's summary (staff; closed year; open-end USD fund).
pub async fn summary(tx: &mut Tx, actor: &Actor, fy: &FundYear) -> AppResult<Summary> {
    check_1099_fund(&fy.fund)?;
    let mut s = Summary::default();
    store::year_lines_tx(tx, actor, &fy.fund.id, fy.year, Span::All, |inv| {
        s.investors += 1;
        for line in &inv.lines {
            s.lines += 1;
            let c = &line.components;
            for (k, kind) in clearway_core::components::ComponentKind::ALL
                .iter()
                .enumerate()
            {
                s.components[k] += c.get(*kind);
            }
            s.foreign_tax += c.foreign_tax;
            match line.regime {
                Regime::Backup => s.backup_withheld += line.federal_withheld_minor,
                Regime::Chapter3 => s.chapter3_withheld += line.federal_withheld_minor,
                Regime::None => {}
            }
            if let Some(state) = &line.state {
                *s.state_withheld.entry(state.clone()).or_default() += line.state_withheld_minor;
            }
        }
        if let Some(rows) = super::form1042::forms_of(fy, &inv) {
            s.s1042_recipients += u64::from(!rows.is_empty());
        } else if let Some(d) = div_form(fy, inv) {
            s.div_recipients += 1;
            s.div_due += u64::from(d.due);
            add_boxes(&mut s.div_totals, &d.figures);
        }
        Ok(())
    })
    .await?;
    s.issued = store::year_counts_tx(tx, actor, &fy.fund.id, fy.year).await?;
    Ok(s)
}

fn add_boxes(t: &mut Div1099, d: &Div1099) {
    t.box1a += d.box1a;
    t.box1b += d.box1b;
    t.box2a += d.box2a;
    t.box2b += d.box2b;
    t.box2c += d.box2c;
    t.box2d += d.box2d;
    t.box2e += d.box2e;
    t.box2f += d.box2f;
    t.box3 += d.box3;
    t.box4 += d.box4;
    t.box5 += d.box5;
    t.box6 += d.box6;
    t.box7 += d.box7;
    t.box9 += d.box9;
    t.box10 += d.box10;
    t.box12 += d.box12;
    t.box13 += d.box13;
}

/// A downloadable copy of a form: bytes, content type, file name.
#[derive(Debug, Clone)]
pub struct FormFile {
    /// Content.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub content_type: &'static str,
    /// File name.
    pub filename: String,
}

/// The payer's lines as printed: name, TIN, address (fund name and blanks when not set).
pub fn payer_lines(fund: &Fund, tax: &FundTax) -> (String, String, Vec<String>) {
    let name = tax.payer_name.clone().unwrap_or_else(|| fund.name.clone());
    let tin = tax
        .payer_tin
        .clone()
        .unwrap_or_else(|| "(not provided)".into());
    let city = [
        tax.payer_city.as_deref(),
        tax.payer_state.as_deref(),
        tax.payer_zip.as_deref(),
    ]
    .iter()
    .flatten()
    .copied()
    .collect::<Vec<_>>()
    .join(" ");
    let address = [tax.payer_address.clone().unwrap_or_default(), city]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    (name, tin, address)
}

/// One investor's 1099-DIV as copy B (PDF) or a CSV row; the figures as [`investor_div`]
/// gives them (the investor: as issued).
pub async fn div_file(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
    fund_id: &str,
    pdf: bool,
) -> AppResult<FormFile> {
    let d = investor_div(tx, actor, investor_id, year, fund_id).await?;
    let who = store::recipients_tx(tx, actor, &[investor_id.to_string()])
        .await?
        .remove(investor_id)
        .unwrap_or_default();
    let base = format!("1099-DIV-{year}-{}-{investor_id}", d.fund.code);
    if !pdf {
        let csv = clearway_formats::tax::forms::div1099_csv(&[(
            investor_id.to_string(),
            who.name,
            d.figures,
        )]);
        return Ok(FormFile {
            bytes: csv.into_bytes(),
            content_type: "text/csv; charset=utf-8",
            filename: format!("{base}.csv"),
        });
    }
    let tax = store::fund_tax_tx(tx, actor, &d.fund.id).await?;
    let (payer_name, payer_tin, payer_address) = payer_lines(&d.fund, &tax);
    let doc = clearway_formats::tax::forms::Div1099Doc {
        year,
        corrected: d.issued.as_ref().is_some_and(|r| r.corrected),
        payer_name,
        payer_tin,
        payer_address,
        recipient_name: who.name,
        recipient_tin_masked: clearway_formats::tax::forms::mask_tin(who.tin_last4.as_deref()),
        recipient_address: Vec::new(),
        account: investor_id.to_string(),
        fund: d.fund.name.clone(),
        figures: d.figures,
    };
    let bytes = clearway_formats::documents::render(
        &doc.layout(),
        clearway_formats::documents::Format::Pdf,
    )
    .map_err(|e| AppError::Remote(format!("the 1099-DIV PDF could not be written: {e}")))?;
    Ok(FormFile {
        bytes,
        content_type: "application/pdf",
        filename: format!("{base}.pdf"),
    })
}
