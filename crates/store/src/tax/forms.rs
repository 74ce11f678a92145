//! Issued tax forms: each issue of a (fund, investor, year, form) is a new `seq`; an issue
//! after one already issued is CORRECTED. The figures are kept as JSON with their SHA-256, so
//! issuing the same figures again is recognised and issues nothing.
//!
//! Access: staff of the organization read all; an investor reads only their own (another's is
//! the 404 of the investor). Issuing is for operators and admins.

use clearway_core::access::{Permission, Role};
use clearway_core::components::Components;
use clearway_core::tax::form1099::{DivLine, FundTaxSettings};
use clearway_core::tax::profile::TaxProfile;
use clearway_core::tax::withholding::{Designations, Regime};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::db::Arg;

use crate::reinvestment::check_investor_tx;
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// The three forms.
pub const FORMS: [&str; 3] = ["1099-DIV", "1042-S", "K-1"];

/// An issued form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRecord {
    /// Id.
    pub id: String,
    /// Fund (the payer / partnership).
    pub fund_id: String,
    /// Investor (recipient / partner).
    pub investor_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// `1099-DIV`, `1042-S` or `K-1`.
    pub form: String,
    /// 1, 2, …
    pub seq: i64,
    /// A correction of an earlier issue.
    pub corrected: bool,
    /// Figures, JSON text (the core type of the form).
    pub figures: String,
    /// SHA-256 of `figures`, lowercase hex.
    pub fingerprint: String,
    /// The FIRE file that carried it, if any.
    pub fire_file_id: Option<String>,
    /// Issued by (user id).
    pub issued_by: String,
    /// Issued at (UTC).
    pub issued_at: String,
}

const COLUMNS: &str = "id, fund_id, investor_id, tax_year, form, seq, corrected, figures, fingerprint, fire_file_id, issued_by, issued_at";

/// Reads a row of [`COLUMNS`].
pub fn from_row(r: &Row) -> Result<FormRecord, StoreError> {
    Ok(FormRecord {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        investor_id: r.text("investor_id")?,
        tax_year: i32::try_from(r.i64("tax_year")?)
            .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
        form: r.text("form")?,
        seq: r.i64("seq")?,
        corrected: r.i64("corrected")? != 0,
        figures: r.text("figures")?,
        fingerprint: r.text("fingerprint")?,
        fire_file_id: r.opt_text("fire_file_id")?,
        issued_by: r.text("issued_by")?,
        issued_at: r.text("issued_at")?,
    })
}

/// SHA-256 of the figures' JSON text, lowercase hex.
pub fn fingerprint(figures: &str) -> String {
    hex::encode(Sha256::digest(figures.as_bytes()))
}

/// The newest issue of one form, if any.
pub async fn latest_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    year: i32,
    form: &str,
) -> Result<Option<FormRecord>, StoreError> {
    check_investor_tx(tx, actor, investor_id).await?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM tax_forms WHERE org_id = $1 AND fund_id = $2 AND investor_id = $3 AND tax_year = $4 AND form = $5 ORDER BY seq DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(investor_id)
            .bind(i64::from(year))
            .bind(form),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// Issues `figures` unless the newest issue has the same fingerprint: answers the record and
/// whether it is a new issue. Operators and admins only.
pub async fn issue_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    year: i32,
    form: &str,
    figures: &str,
) -> Result<(FormRecord, bool), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("investor"));
    }
    actor.require(Permission::Operate)?;
    let newest = latest_tx(tx, actor, fund_id, investor_id, year, form).await?;
    let print = fingerprint(figures);
    if let Some(same) = newest.as_ref().filter(|f| f.fingerprint == print) {
        return Ok((same.clone(), false));
    }
    let record = FormRecord {
        id: new_id(),
        fund_id: fund_id.to_string(),
        investor_id: investor_id.to_string(),
        tax_year: year,
        form: form.to_string(),
        seq: newest.as_ref().map_or(1, |f| f.seq + 1),
        corrected: newest.is_some(),
        figures: figures.to_string(),
        fingerprint: print,
        fire_file_id: None,
        issued_by: actor.user_id.clone(),
        issued_at: now_text(),
    };
    tx.execute(
        q("INSERT INTO tax_forms (id, org_id, fund_id, investor_id, tax_year, form, seq, corrected, figures, fingerprint, fire_file_id, issued_by, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)")
            .bind(&record.id)
            .bind(&actor.org_id)
            .bind(&record.fund_id)
            .bind(&record.investor_id)
            .bind(i64::from(year))
            .bind(&record.form)
            .bind(record.seq)
            .bind(i64::from(record.corrected))
            .bind(&record.figures)
            .bind(&record.fingerprint)
            .bind(&record.issued_by)
            .bind(&record.issued_at),
    )
    .await?;
    Ok((record, true))
}

/// Every issue of an investor's forms of a year (all funds, all forms), oldest first.
pub async fn for_investor_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
) -> Result<Vec<FormRecord>, StoreError> {
    check_investor_tx(tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM tax_forms WHERE org_id = $1 AND investor_id = $2 AND tax_year = $3 ORDER BY fund_id, form, seq"))
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(i64::from(year)),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

// ---- The year's lines and the fund's settings, as the forms read them ----

/// An investor's processed lines of a fund-year, with their tax profile (None: never entered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearInvestor {
    /// Investor.
    pub investor_id: String,
    /// Investor's name.
    pub name: String,
    /// Tax profile, when one was entered.
    pub profile: Option<TaxProfile>,
    /// The lines, by payable date.
    pub lines: Vec<DivLine>,
}

/// The fund as payer: its designations and its A-record identity (absent settings: defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundTax {
    /// What the fund states for its forms.
    pub settings: FundTaxSettings,
    /// Payer's TIN (nine digits), name, address, city, state, ZIP, phone.
    pub payer_tin: Option<String>,
    /// Payer's name.
    pub payer_name: Option<String>,
    /// Street address.
    pub payer_address: Option<String>,
    /// City.
    pub payer_city: Option<String>,
    /// State (USPS).
    pub payer_state: Option<String>,
    /// ZIP.
    pub payer_zip: Option<String>,
    /// Phone.
    pub payer_phone: Option<String>,
}

/// The fund's tax settings (staff), with the payer state ids of the organization's state table.
pub async fn fund_tax_tx(tx: &mut Tx, actor: &Actor, fund_id: &str) -> Result<FundTax, StoreError> {
    actor.require(Permission::Read)?;
    let mut out = FundTax::default();
    let row = tx
        .fetch_optional(
            q("SELECT capital_gain_exempt, short_term_gain_exempt, interest_related_exempt, interest_is_exempt_interest, section199a_percent, foreign_tax_country, payer_tin, payer_name, payer_address, payer_city, payer_state, payer_zip, payer_phone FROM fund_tax_settings WHERE org_id = $1 AND fund_id = $2")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?;
    if let Some(r) = row {
        out.settings.designations = Designations {
            capital_gain_exempt: r.i64("capital_gain_exempt")? != 0,
            short_term_gain_exempt: r.i64("short_term_gain_exempt")? != 0,
            interest_related_exempt: r.i64("interest_related_exempt")? != 0,
        };
        out.settings.interest_is_exempt_interest = r.i64("interest_is_exempt_interest")? != 0;
        out.settings.section199a_percent = r.parse("section199a_percent")?;
        out.settings.foreign_tax_country = r.opt_text("foreign_tax_country")?;
        out.payer_tin = r.opt_text("payer_tin")?;
        out.payer_name = r.opt_text("payer_name")?;
        out.payer_address = r.opt_text("payer_address")?;
        out.payer_city = r.opt_text("payer_city")?;
        out.payer_state = r.opt_text("payer_state")?;
        out.payer_zip = r.opt_text("payer_zip")?;
        out.payer_phone = r.opt_text("payer_phone")?;
    }
    let states = tx
        .fetch_all(
            q("SELECT state, payer_state_id FROM tax_state_rates WHERE org_id = $1 AND payer_state_id IS NOT NULL")
                .bind(&actor.org_id),
        )
        .await?;
    for r in &states {
        out.settings
            .payer_state_ids
            .insert(r.text("state")?, r.text("payer_state_id")?);
    }
    Ok(out)
}

const LINE_SQL: &str = "SELECT l.investor_id, i.name, d.id, d.payable_date,
    l.ordinary_minor, l.qualified_minor, l.st_gain_minor, l.lt_gain_minor, l.roc_minor, l.interest_minor,
    l.foreign_tax_minor, l.withholding_minor,
    w.regime, w.fed_ordinary_minor, w.fed_qualified_minor, w.fed_st_gain_minor, w.fed_lt_gain_minor,
    w.fed_roc_minor, w.fed_interest_minor, w.federal_minor, w.rates, w.state, w.state_minor,
    p.tin_type, p.tin_last4, p.tin_status, p.residency, p.certificate, p.country, p.treaty_claim,
    p.treaty_article, p.chapter3_status, p.chapter4_status, p.residence_state, p.exempt_payee_code,
    p.fatca_filing, p.foreign_tin
  FROM distributions d
  JOIN distribution_lines l ON l.distribution_id = d.id AND l.org_id = d.org_id
  JOIN investors i ON i.id = l.investor_id AND i.org_id = d.org_id
  LEFT JOIN line_withholdings w ON w.distribution_id = l.distribution_id AND w.investor_id = l.investor_id AND w.org_id = d.org_id
  LEFT JOIN tax_profiles p ON p.investor_id = l.investor_id AND p.org_id = d.org_id
  WHERE d.org_id = $1 AND d.fund_id = $2 AND d.status = 'COMPLETED'
    AND d.payable_date >= $3 AND d.payable_date <= $4
    AND l.investor_id > $5";
const LINE_ORDER: &str = " ORDER BY l.investor_id, d.payable_date, d.id";

/// Which investors of a fund-year to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span<'a> {
    /// All.
    All,
    /// Ids after the first (exclusive; `None`: from the start) up to the second (inclusive).
    Range(Option<&'a str>, &'a str),
    /// One investor.
    One(&'a str),
}

/// Every line of the fund-year's COMPLETED distributions (regular, correction and reversal)
/// with payable date in `year`, per investor in id order, for the investors of `span`, handed to `each` one investor at a time. One streaming
/// query: 1,200,000 lines are never held as rows. Staff only (an investor: 404).
pub async fn year_lines_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
    span: Span<'_>,
    mut each: impl FnMut(YearInvestor) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    staff(actor)?;
    let (after, upto) = match span {
        Span::All => (None, None),
        Span::Range(after, upto) => (after, Some(upto)),
        Span::One(id) => (None, Some(id)),
    };
    let mut params = vec![
        Arg::from(actor.org_id.as_str()),
        Arg::from(fund_id),
        Arg::from(format!("{year:04}-01-01")),
        Arg::from(format!("{year:04}-12-31")),
        Arg::from(after.unwrap_or("")),
    ];
    let sql = match (span, upto) {
        (Span::One(id), _) => {
            params.push(Arg::from(id));
            format!("{LINE_SQL} AND l.investor_id = $6{LINE_ORDER}")
        }
        (_, Some(last)) => {
            params.push(Arg::from(last));
            format!("{LINE_SQL} AND l.investor_id <= $6{LINE_ORDER}")
        }
        (_, None) => format!("{LINE_SQL}{LINE_ORDER}"),
    };
    let mut current: Option<YearInvestor> = None;
    tx.scan(&sql, &params, |f| {
        let investor = field(f, 0)?;
        if current.as_ref().is_none_or(|c| c.investor_id != investor) {
            if let Some(done) = current.take() {
                each(done)?;
            }
            current = Some(YearInvestor {
                investor_id: investor.to_string(),
                name: field(f, 1)?.to_string(),
                profile: profile_of(investor, &f[23..])?,
                lines: Vec::new(),
            });
        }
        if let Some(c) = current.as_mut() {
            c.lines.push(line_of(f)?);
        }
        Ok(())
    })
    .await?;
    if let Some(done) = current {
        each(done)?;
    }
    Ok(())
}

/// The ids of the investors with lines in the fund-year, in id order (for batches).
pub async fn year_investors_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> Result<Vec<String>, StoreError> {
    staff(actor)?;
    let mut out = Vec::new();
    tx.scan(
        "SELECT DISTINCT l.investor_id FROM distributions d JOIN distribution_lines l ON l.distribution_id = d.id AND l.org_id = d.org_id
          WHERE d.org_id = $1 AND d.fund_id = $2 AND d.status = 'COMPLETED' AND d.payable_date >= $3 AND d.payable_date <= $4
          ORDER BY l.investor_id",
        &[
            Arg::from(actor.org_id.as_str()),
            Arg::from(fund_id),
            Arg::from(format!("{year:04}-01-01")),
            Arg::from(format!("{year:04}-12-31")),
        ],
        |f| {
            out.push(field(f, 0)?.to_string());
            Ok(())
        },
    )
    .await?;
    Ok(out)
}

fn staff(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("fund"));
    }
    actor.require(Permission::Read)
}

fn field<'a>(f: &[Option<&'a str>], i: usize) -> Result<&'a str, StoreError> {
    f.get(i)
        .copied()
        .flatten()
        .ok_or_else(|| StoreError::Corrupt(format!("tax year line: column {i} is null")))
}

fn int(f: &[Option<&str>], i: usize) -> Result<i64, StoreError> {
    field(f, i)?
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("tax year line: column {i} is not an integer")))
}

fn opt_int(f: &[Option<&str>], i: usize) -> Result<i64, StoreError> {
    if f.get(i).copied().flatten().is_none() {
        return Ok(0);
    }
    int(f, i)
}

fn parsed<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("tax year line: {what} '{text}'")))
}

fn line_of(f: &[Option<&str>]) -> Result<DivLine, StoreError> {
    let components = Components {
        ordinary_dividend: int(f, 4)?,
        qualified_dividend: int(f, 5)?,
        short_term_gain: int(f, 6)?,
        long_term_gain: int(f, 7)?,
        return_of_capital: int(f, 8)?,
        interest: int(f, 9)?,
        foreign_tax: int(f, 10)?,
        withholding: int(f, 11)?,
    };
    // No withholding row: the line was processed before withholding existed (nothing withheld).
    let regime = match f[12] {
        Some(r) => parsed::<Regime>(r, "regime")?,
        None => Regime::None,
    };
    let mut federal_by_component = [0i64; 6];
    for (k, slot) in federal_by_component.iter_mut().enumerate() {
        *slot = opt_int(f, 13 + k)?;
    }
    let rate_by_component = match f[20] {
        Some(json) => rates_of(json)?,
        None => [Decimal::ZERO; 6],
    };
    Ok(DivLine {
        distribution_id: field(f, 2)?.to_string(),
        payable_date: parsed(field(f, 3)?, "payable date")?,
        components,
        regime,
        federal_withheld_minor: opt_int(f, 19)?,
        federal_by_component,
        rate_by_component,
        state: f[21].map(str::to_string),
        state_withheld_minor: opt_int(f, 22)?,
    })
}

fn rates_of(json: &str) -> Result<[Decimal; 6], StoreError> {
    let texts: Vec<String> = serde_json::from_str(json)
        .map_err(|_| StoreError::Corrupt(format!("tax year line: rates '{json}'")))?;
    let mut out = [Decimal::ZERO; 6];
    if texts.len() != 6 {
        return Err(StoreError::Corrupt(format!(
            "tax year line: rates '{json}'"
        )));
    }
    for (slot, t) in out.iter_mut().zip(&texts) {
        *slot = parsed(t, "rate")?;
    }
    Ok(out)
}

/// The profile columns (from `tin_type` on); all NULL: no profile.
fn profile_of(investor: &str, f: &[Option<&str>]) -> Result<Option<TaxProfile>, StoreError> {
    let Some(status) = f[2] else {
        return Ok(None);
    };
    let text = |i: usize| f[i].map(str::to_string);
    Ok(Some(TaxProfile {
        investor_id: investor.to_string(),
        tin_type: f[0].map(|t| parsed(t, "tin type")).transpose()?,
        tin_last4: text(1),
        tin_status: parsed(status, "tin status")?,
        residency: parsed(field(f, 3)?, "residency")?,
        certificate: f[4].map(|t| parsed(t, "certificate")).transpose()?,
        country: text(5),
        treaty_claim: f[6] == Some("1"),
        treaty_article: text(7),
        chapter3_status: text(8),
        chapter4_status: text(9),
        residence_state: text(10),
        exempt_payee_code: text(11),
        fatca_filing: f[12] == Some("1"),
        foreign_tin: text(13),
    }))
}

/// The newest issue of each investor's `form` of a fund-year, in investor order after
/// `after` (cursor), at most `limit` (staff only).
pub async fn newest_of_year_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
    form: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<FormRecord>, StoreError> {
    staff(actor)?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM tax_forms f WHERE org_id = $1 AND fund_id = $2 AND tax_year = $3 AND form = $4 AND investor_id > $5
                 AND seq = (SELECT MAX(g.seq) FROM tax_forms g WHERE g.org_id = f.org_id AND g.fund_id = f.fund_id AND g.investor_id = f.investor_id AND g.tax_year = f.tax_year AND g.form = f.form)
                 ORDER BY investor_id LIMIT $6"))
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(i64::from(year))
                .bind(form)
                .bind(after.unwrap_or(""))
                .bind(limit),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// Counts of a fund-year's forms: (form, investors with a form, corrected newest issues).
pub async fn year_counts_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    staff(actor)?;
    let rows = tx
        .fetch_all(
            q("SELECT form, COUNT(DISTINCT investor_id) AS forms, COUNT(DISTINCT CASE WHEN corrected = 1 THEN investor_id END) AS corrected
                 FROM tax_forms WHERE org_id = $1 AND fund_id = $2 AND tax_year = $3 GROUP BY form ORDER BY form")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(i64::from(year)),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.text("form")?, r.i64("forms")?, r.i64("corrected")?)))
        .collect()
}

/// Whether any form of the fund-year was issued (a re-characterization then queues a run).
pub async fn any_issued_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> Result<bool, StoreError> {
    staff(actor)?;
    let n = tx
        .count(
            q("SELECT COUNT(*) AS n FROM tax_forms WHERE org_id = $1 AND fund_id = $2 AND tax_year = $3")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(i64::from(year)),
        )
        .await?;
    Ok(n > 0)
}

/// Every issued form of an investor (all years), newest year first (the portal's list).
pub async fn of_investor_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<Vec<FormRecord>, StoreError> {
    check_investor_tx(tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM tax_forms WHERE org_id = $1 AND investor_id = $2 ORDER BY tax_year DESC, fund_id, form, seq DESC LIMIT 500"))
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// What a form prints of its recipient: name, kind of TIN and its last four (staff only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// Name.
    pub name: String,
    /// Kind of TIN on file.
    pub tin_type: Option<String>,
    /// Last four of the TIN on file.
    pub tin_last4: Option<String>,
    /// Residence state of the profile.
    pub residence_state: Option<String>,
    /// Mailing address (JSON: lines, city, region, postalCode, country) of the investor's
    /// default (else newest) payment method that has one, a US address first (the FIRE
    /// writer takes USPS addresses only).
    pub address: Option<serde_json::Value>,
}

/// The recipients of `investor_ids` (those of the organization), by id.
pub async fn recipients_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_ids: &[String],
) -> Result<std::collections::HashMap<String, Recipient>, StoreError> {
    actor.require(Permission::Read)?;
    let mut out = std::collections::HashMap::with_capacity(investor_ids.len());
    for chunk in investor_ids.chunks(500) {
        if let Some(own) = actor.investor_id.as_deref() {
            if chunk.iter().any(|id| id != own) {
                return Err(StoreError::NotFound("investor"));
            }
        }
        let mut query = q(format!(
            "SELECT i.id, i.name, p.tin_type, p.tin_last4, p.residence_state,
                    (SELECT b.address FROM bank_accounts b WHERE b.org_id = i.org_id AND b.investor_id = i.id AND b.address IS NOT NULL AND b.status <> 'DISABLED'
                      ORDER BY CASE WHEN b.address LIKE '%\"country\":\"US\"%' THEN 0 ELSE 1 END, b.is_default DESC, b.created_at DESC LIMIT 1) AS address
               FROM investors i LEFT JOIN tax_profiles p ON p.investor_id = i.id AND p.org_id = i.org_id
              WHERE i.org_id = $1 AND i.id IN ({})",
            crate::db::placeholders(2, chunk.len())
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        for r in tx.fetch_all(query).await? {
            out.insert(
                r.text("id")?,
                Recipient {
                    name: r.text("name")?,
                    tin_type: r.opt_text("tin_type")?,
                    tin_last4: r.opt_text("tin_last4")?,
                    residence_state: r.opt_text("residence_state")?,
                    address: r
                        .opt_text("address")?
                        .and_then(|a| serde_json::from_str(&a).ok()),
                },
            );
        }
    }
    Ok(out)
}
