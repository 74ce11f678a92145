//! Distributions and their lines. Status changes are conditional updates on the row's
//! version, so two racing requests cannot both succeed; reads are confined to the actor's
//! organization, and investors only see distributions they have a line in, and only that line.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::{
    Action, Components, Kind, LineStatus, PlannedLine, Schedule, Status,
};
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::Currency;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::db::Arg;
use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

pub mod reports;
pub mod staleness;

/// A distribution header as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Id (UUIDv7).
    pub id: String,
    /// Fund it is paid from.
    pub fund_id: String,
    /// Regular, reversal or correction.
    pub kind: Kind,
    /// Lifecycle status.
    pub status: Status,
    /// Currency of every amount on it.
    pub currency: Currency,
    /// Dates.
    pub schedule: Schedule,
    /// Free text, e.g. "Q1 2026".
    pub description: String,
    /// The allocation as requested (null in an investor's view).
    pub allocation: Value,
    /// Sum of the lines, minor units (negative for reversals); an investor's view holds only
    /// their own line's total.
    pub total_minor: i64,
    /// Number of lines (1 in an investor's view: their own).
    pub line_count: i64,
    /// For reversals: the distribution reversed.
    pub reverses_id: Option<String>,
    /// For corrections: the distribution corrected.
    pub corrects_id: Option<String>,
    /// Why it was reversed or corrected.
    pub reason: Option<String>,
    /// Maker (None in an investor's view, which carries no staff user ids).
    pub created_by: Option<String>,
    /// Checker (None before approval, and in an investor's view).
    pub approved_by: Option<String>,
    /// When approved.
    pub approved_at: Option<String>,
    /// Created (UTC).
    pub created_at: String,
    /// Last changed (UTC).
    pub updated_at: String,
    /// Incremented on every change.
    pub version: i64,
    /// Fingerprint of the record-date holdings the lines were allocated from (None for
    /// explicit lines, reversals, distributions planned before fingerprints, and investors).
    pub holdings_fingerprint: Option<String>,
    /// Why the holdings behind the lines are known to have changed since (None: not known to
    /// be stale); set by processings and holdings imports, cleared when the lines are planned
    /// again. Approve and process check the fingerprint itself.
    pub stale_reason: Option<String>,
    /// Share class whose holders it pays (`DEFAULT` unless the fund has classes).
    pub share_class: String,
    /// Shared by the distributions of one "all classes" request (one per class).
    pub class_group_id: Option<String>,
}

/// One investor's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Investor.
    pub investor_id: String,
    /// Units held on the record date the amount came from (None if explicit).
    pub units: Option<Decimal>,
    /// Total, minor units.
    pub total_minor: i64,
    /// Components, minor units.
    pub components: Components,
    /// Line status.
    pub status: LineStatus,
    /// On reversal lines: the distribution whose line is negated.
    pub reverses_distribution_id: Option<String>,
    /// Reinvested part, set by processing (None before).
    pub reinvested_minor: Option<i64>,
    /// Cash part (total − reinvested − withholding), set by processing (None before).
    pub cash_minor: Option<i64>,
    /// Part of the cash that settled the investor's receivables (the payment is cash − offset).
    pub offset_minor: Option<i64>,
    /// On a reversal line whose original cash had left: the receivable it became.
    pub receivable_id: Option<String>,
}

/// A distribution to insert.
#[derive(Debug, Clone)]
pub struct NewDistribution {
    /// Fund.
    pub fund_id: String,
    /// Kind.
    pub kind: Kind,
    /// Initial status (DRAFT for new ones; reversals start READY for approval).
    pub status: Status,
    /// Currency.
    pub currency: Currency,
    /// Dates.
    pub schedule: Schedule,
    /// Description.
    pub description: String,
    /// Allocation as requested.
    pub allocation: Value,
    /// Reversed distribution.
    pub reverses_id: Option<String>,
    /// Corrected distribution.
    pub corrects_id: Option<String>,
    /// Reason for a reversal or correction.
    pub reason: Option<String>,
}

const COLUMNS: &str = "id, fund_id, kind, status, currency, declaration_date, ex_date, record_date, payable_date, description, allocation, total_minor, line_count, reverses_id, corrects_id, reason, created_by, approved_by, approved_at, created_at, updated_at, version, holdings_fingerprint, stale_reason, share_class, class_group_id";

const LINE_COLUMNS: [&str; 15] = [
    "distribution_id",
    "org_id",
    "investor_id",
    "units",
    "total_minor",
    "ordinary_minor",
    "qualified_minor",
    "st_gain_minor",
    "lt_gain_minor",
    "roc_minor",
    "interest_minor",
    "foreign_tax_minor",
    "withholding_minor",
    "status",
    "reverses_distribution_id",
];

fn date(r: &Row, col: &str) -> Result<NaiveDate, StoreError> {
    r.parse(col)
}

fn from_row(r: &Row) -> Result<Distribution, StoreError> {
    let ex = r
        .opt_text("ex_date")?
        .map(|t| t.parse::<NaiveDate>())
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Distribution {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        kind: r.parse("kind")?,
        status: r.parse("status")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        schedule: Schedule {
            declaration: date(r, "declaration_date")?,
            ex,
            record: date(r, "record_date")?,
            payable: date(r, "payable_date")?,
        },
        description: r.text("description")?,
        allocation: serde_json::from_str(&r.text("allocation")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        total_minor: r.i64("total_minor")?,
        line_count: r.i64("line_count")?,
        reverses_id: r.opt_text("reverses_id")?,
        corrects_id: r.opt_text("corrects_id")?,
        reason: r.opt_text("reason")?,
        created_by: r.opt_text("created_by")?,
        approved_by: r.opt_text("approved_by")?,
        approved_at: r.opt_text("approved_at")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
        holdings_fingerprint: r.opt_text("holdings_fingerprint")?,
        stale_reason: r.opt_text("stale_reason")?,
        share_class: r.text("share_class")?,
        class_group_id: r.opt_text("class_group_id")?,
    })
}

pub(crate) fn line_from_row(r: &Row) -> Result<Line, StoreError> {
    Ok(Line {
        investor_id: r.text("investor_id")?,
        units: r
            .opt_text("units")?
            .map(|u| {
                u.parse()
                    .map_err(|e| StoreError::Corrupt(format!("column units = '{u}': {e}")))
            })
            .transpose()?,
        total_minor: r.i64("total_minor")?,
        components: Components {
            ordinary_dividend: r.i64("ordinary_minor")?,
            qualified_dividend: r.i64("qualified_minor")?,
            short_term_gain: r.i64("st_gain_minor")?,
            long_term_gain: r.i64("lt_gain_minor")?,
            return_of_capital: r.i64("roc_minor")?,
            interest: r.i64("interest_minor")?,
            foreign_tax: r.i64("foreign_tax_minor")?,
            withholding: r.i64("withholding_minor")?,
        },
        status: r.parse("status")?,
        reverses_distribution_id: r.opt_text("reverses_distribution_id")?,
        reinvested_minor: r.opt_i64("reinvested_minor")?,
        cash_minor: r.opt_i64("cash_minor")?,
        offset_minor: r.opt_i64("offset_minor")?,
        receivable_id: r.opt_text("receivable_id")?,
    })
}

/// Columns read for a line: the inserted ones plus the settlement set by processing.
pub(crate) fn line_select() -> String {
    format!(
        "{}, reinvested_minor, cash_minor, offset_minor, receivable_id",
        LINE_COLUMNS.join(", ")
    )
}

fn line_args(
    distribution_id: &str,
    actor: &Actor,
    line: &PlannedLine,
    reverses: Option<&str>,
) -> Vec<Arg> {
    let c = &line.components;
    vec![
        distribution_id.into(),
        (&actor.org_id).into(),
        (&line.investor_id).into(),
        line.units.map(|u| u.normalize().to_string()).into(),
        line.total.into(),
        c.ordinary_dividend.into(),
        c.qualified_dividend.into(),
        c.short_term_gain.into(),
        c.long_term_gain.into(),
        c.return_of_capital.into(),
        c.interest.into(),
        c.foreign_tax.into(),
        c.withholding.into(),
        LineStatus::Pending.as_str().into(),
        reverses.into(),
    ]
}

/// Inserts a distribution and its lines (bulk) inside `tx`; operators and admins only.
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    new: &NewDistribution,
    lines: &[PlannedLine],
) -> Result<Distribution, StoreError> {
    insert_in_class(tx, actor, new, lines, DEFAULT_SHARE_CLASS, None).await
}

/// [`insert`] for the holders of one share class, in an "all classes" group when `group` is
/// given (the class is checked by the caller: the store only keeps it).
pub async fn insert_in_class(
    tx: &mut Tx,
    actor: &Actor,
    new: &NewDistribution,
    lines: &[PlannedLine],
    class: &str,
    group: Option<&str>,
) -> Result<Distribution, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    let now = now_text();
    let total: i64 = lines.iter().map(|l| l.total).sum();
    // A slice length is far below i64::MAX: the cast is lossless.
    let line_count = lines.len() as i64;
    let s = &new.schedule;
    let row = tx
        .fetch_optional(
            q(format!("INSERT INTO distributions ({COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL, NULL, $18, $18, 1, NULL, NULL, $20, $21, $19) RETURNING {COLUMNS}"))
                .bind(&id)
                .bind(&new.fund_id)
                .bind(new.kind.as_str())
                .bind(new.status.as_str())
                .bind(new.currency.code())
                .bind(s.declaration.to_string())
                .bind(s.ex.map(|d| d.to_string()))
                .bind(s.record.to_string())
                .bind(s.payable.to_string())
                .bind(&new.description)
                .bind(new.allocation.to_string())
                .bind(total)
                .bind(line_count)
                .bind(new.reverses_id.clone())
                .bind(new.corrects_id.clone())
                .bind(new.reason.clone())
                .bind(&actor.user_id)
                .bind(&now)
                .bind(&actor.org_id)
                .bind(class)
                .bind(group),
        )
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    let line_reverses = match new.kind {
        Kind::Reversal => new.reverses_id.as_deref(),
        _ => None,
    };
    let rows: Vec<Vec<Arg>> = lines
        .iter()
        .map(|l| line_args(&id, actor, l, line_reverses))
        .collect();
    tx.bulk_insert("distribution_lines", &LINE_COLUMNS, &rows)
        .await?;
    record_editor(tx, actor, &id).await?;
    from_row(&row)
}

/// Records the actor as one who wrote distribution `id`'s content (for four eyes).
async fn record_editor(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO distribution_editors (org_id, distribution_id, user_id, first_edit_at) VALUES ($1, $2, $3, $4) ON CONFLICT (distribution_id, user_id) DO NOTHING")
            .bind(&actor.org_id)
            .bind(id)
            .bind(&actor.user_id)
            .bind(now_text()),
    )
    .await?;
    Ok(())
}

/// Whether the actor created or edited distribution `id`'s content at any time.
async fn wrote_content(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<bool, StoreError> {
    if d.created_by.as_deref() == Some(actor.user_id.as_str()) {
        return Ok(true);
    }
    let row = tx
        .fetch_optional(
            q("SELECT 1 AS one FROM distribution_editors WHERE distribution_id = $1 AND org_id = $2 AND user_id = $3")
                .bind(&d.id)
                .bind(&actor.org_id)
                .bind(&actor.user_id),
        )
        .await?;
    Ok(row.is_some())
}

/// Whether the actor created or edited distribution `d`'s content, so may not approve it
/// (the four-eyes rule [`transition`] enforces; pages show it before the button is pressed).
pub async fn wrote(db: &Db, actor: &Actor, d: &Distribution) -> Result<bool, StoreError> {
    actor.require(Permission::Read)?;
    // A read-only transaction: dropped, never committed.
    let mut tx = db.begin().await?;
    wrote_content(&mut tx, actor, d).await
}

/// What the actor may see of distributions: the FROM/WHERE tail and the select list, with its
/// parameters numbered from `first_param`. Staff see the organization's distributions whole.
/// Investors see only those they have a line in, once approved (never a draft, a submission
/// or one cancelled before approval), and in them only their own amount: no staff user ids,
/// no allocation request and no organization-wide total or line count.
fn visible(actor: &Actor, first_param: usize) -> (String, String, Vec<Arg>) {
    let org = format!("d.org_id = ${first_param}");
    let columns = |own: &dyn Fn(&str) -> Option<&'static str>| {
        COLUMNS
            .split(", ")
            .map(|c| own(c).map_or_else(|| format!("d.{c}"), |e| format!("{e} AS {c}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &actor.investor_id {
        None => (
            format!("distributions d WHERE {org}"),
            columns(&|_| None),
            vec![(&actor.org_id).into()],
        ),
        Some(investor) => (
            format!(
                "distributions d JOIN distribution_lines own ON own.distribution_id = d.id AND own.org_id = d.org_id AND own.investor_id = ${}
                 WHERE {org} AND d.approved_by IS NOT NULL",
                first_param + 1
            ),
            columns(&|c| match c {
                "total_minor" => Some("own.total_minor"),
                "line_count" => Some("CAST(1 AS BIGINT)"),
                "allocation" => Some("'null'"),
                "created_by" | "approved_by" | "holdings_fingerprint" => Some("NULL"),
                // Staff's reason names other investors' units: an investor learns only that.
                "stale_reason" => Some(STALE_FOR_INVESTORS),
                _ => None,
            }),
            vec![(&actor.org_id).into(), investor.into()],
        ),
    }
}

/// What an investor reads of a stale distribution's reason.
const STALE_FOR_INVESTORS: &str = "CASE WHEN d.stale_reason IS NULL THEN NULL ELSE 'the holdings behind this distribution changed; it is being reviewed' END";

fn get_query(actor: &Actor, id: &str) -> crate::db::Q {
    let (from, columns, args) = visible(actor, 2);
    let mut query = q(format!("SELECT {columns} FROM {from} AND d.id = $1")).bind(id);
    for a in args {
        query.push(a);
    }
    query
}

/// A distribution the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Distribution, StoreError> {
    actor.require(Permission::Read)?;
    let row = db
        .fetch_optional(get_query(actor, id))
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    from_row(&row)
}

/// A distribution the actor may see, read inside a transaction.
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Distribution, StoreError> {
    actor.require(Permission::Read)?;
    let row = tx
        .fetch_optional(get_query(actor, id))
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    from_row(&row)
}

/// Filters and page for [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this fund.
    pub fund_id: Option<String>,
    /// Only this status.
    pub status: Option<Status>,
    /// Payable on or after.
    pub payable_from: Option<NaiveDate>,
    /// Payable on or before.
    pub payable_to: Option<NaiveDate>,
    /// Page cursor: ids before this one (newest first).
    pub before_id: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Only those whose description contains this (case-insensitive), or whose id starts
    /// with it.
    pub search: Option<String>,
}

/// `text` lowercased with `%`, `_` and `\` escaped (by `\`), for a `LIKE … ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The `LIKE` pattern of a search: `%text%`, escaped by [`escape_like`].
fn like_pattern(search: Option<&str>) -> Option<String> {
    search.map(|s| format!("%{}%", escape_like(s)))
}

/// The filter's conditions on `d`, only those it sets (PostgreSQL plans `$n IS NULL OR …`
/// generically, scanning the organization's distributions for every page), numbered from
/// `$next`, with their values in order.
fn filter_conditions(filter: &ListFilter, next: usize) -> (String, Vec<Arg>) {
    let mut sql = String::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut add = |condition: &str, values: Vec<String>| {
        let mut c = condition.to_string();
        for v in values {
            c = c.replacen("$?", &format!("${}", next + args.len()), 1);
            args.push(v.into());
        }
        sql.push_str(" AND ");
        sql.push_str(&c);
    };
    if let Some(f) = &filter.fund_id {
        add("d.fund_id = $?", vec![f.clone()]);
    }
    if let Some(st) = filter.status {
        add("d.status = $?", vec![st.as_str().to_string()]);
    }
    if let Some(d) = filter.payable_from {
        add("d.payable_date >= $?", vec![d.to_string()]);
    }
    if let Some(d) = filter.payable_to {
        add("d.payable_date <= $?", vec![d.to_string()]);
    }
    if let Some(before) = &filter.before_id {
        add("d.id < $?", vec![before.clone()]);
    }
    if let Some(search) = filter.search.as_deref() {
        let pattern = like_pattern(Some(search)).unwrap_or_default();
        // An id prefix of at least 8 characters (fewer would match nearly everything).
        let id = search.trim();
        if id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let prefix = format!("{}%", id.to_lowercase());
            add(
                "(LOWER(d.description) LIKE $? ESCAPE '\\' OR d.id LIKE $?)",
                vec![pattern, prefix],
            );
        } else {
            add("LOWER(d.description) LIKE $? ESCAPE '\\'", vec![pattern]);
        }
    }
    (sql, args)
}

/// Count and sum of the distributions a filter selects (all pages), per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Currency.
    pub currency: Currency,
    /// How many.
    pub count: i64,
    /// Sum of their totals, minor units (an investor's: their own lines).
    pub total_minor: i64,
}

/// [`Totals`] of everything `filter` selects, ignoring its cursor and page size.
pub async fn totals(
    db: &Db,
    actor: &Actor,
    filter: &ListFilter,
) -> Result<Vec<Totals>, StoreError> {
    actor.require(Permission::Read)?;
    let (from, _, visible_args) = visible(actor, 1);
    let total = if actor.investor_id.is_some() {
        "own.total_minor"
    } else {
        "d.total_minor"
    };
    let all = ListFilter {
        before_id: None,
        ..filter.clone()
    };
    let (conditions, args) = filter_conditions(&all, visible_args.len() + 1);
    let mut query = q(format!(
        "SELECT d.currency, COUNT(*) AS n, CAST(COALESCE(SUM({total}), 0) AS BIGINT) AS total FROM {from}{conditions} GROUP BY d.currency ORDER BY d.currency"
    ));
    for a in visible_args.into_iter().chain(args) {
        query.push(a);
    }
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(Totals {
                currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
                count: r.i64("n")?,
                total_minor: r.i64("total")?,
            })
        })
        .collect()
}

/// Distributions the actor may see, newest first, keyset-paginated.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &ListFilter,
) -> Result<Vec<Distribution>, StoreError> {
    actor.require(Permission::Read)?;
    let (from, columns, visible_args) = visible(actor, 1);
    let (conditions, args) = filter_conditions(filter, visible_args.len() + 1);
    // The page size is part of the text (a number we bound): with it as a parameter,
    // PostgreSQL's generic plan sorts every match instead of walking the index.
    let mut query = q(format!(
        "SELECT {columns} FROM {from}{conditions} ORDER BY d.id DESC LIMIT {}",
        filter.limit.clamp(1, 10_000)
    ));
    for a in visible_args.into_iter().chain(args) {
        query.push(a);
    }
    db.fetch_all(query).await?.iter().map(from_row).collect()
}

/// Lines of a distribution the actor may see (investors: only their own), by investor id.
pub async fn lines(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    after_investor: Option<&str>,
    limit: i64,
) -> Result<Vec<Line>, StoreError> {
    get(db, actor, distribution_id).await?;
    // Staff and investors get their own statement, with the page size in the text: the
    // generic plan of `($4 IS NULL OR …) … LIMIT $5` sorted every line on PostgreSQL.
    let page = limit.clamp(1, 10_000);
    let own = if actor.investor_id.is_some() {
        " AND investor_id = $4"
    } else {
        ""
    };
    let mut query = q(format!("SELECT {} FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND investor_id > $3{own} ORDER BY investor_id LIMIT {page}", line_select()))
        .bind(distribution_id)
        .bind(&actor.org_id)
        .bind(after_investor.unwrap_or(""));
    if let Some(investor) = &actor.investor_id {
        query.push(investor);
    }
    db.fetch_all(query)
        .await?
        .iter()
        .map(line_from_row)
        .collect()
}

/// A line with its investor's name.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedLine {
    /// The line.
    pub line: Line,
    /// The investor's name.
    pub investor_name: String,
}

/// Lines of a distribution (staff only) by investor id, after `after_investor`, optionally
/// only those whose investor id or name starts with `prefix` (case-insensitive).
pub async fn search_lines(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    prefix: Option<&str>,
    after_investor: Option<&str>,
    limit: i64,
) -> Result<Vec<NamedLine>, StoreError> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("distribution"));
    }
    get(db, actor, distribution_id).await?;
    // Two statements, not one with `$4 IS NULL OR …`, and the page size in the text: either
    // made PostgreSQL's generic plan read and sort every line of the distribution.
    let query = match prefix {
        None => q(format!("SELECT {} FROM distribution_lines l
                   WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.investor_id > $3
                   ORDER BY l.investor_id LIMIT {}", line_select(), limit.clamp(1, 10_000)))
            .bind(distribution_id)
            .bind(&actor.org_id)
            .bind(after_investor.unwrap_or("")),
        Some(p) => q(format!("SELECT {} FROM distribution_lines l
                   WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.investor_id > $3
                   AND (LOWER(l.investor_id) LIKE $4 ESCAPE '\\'
                        OR l.investor_id IN (SELECT i.id FROM investors i WHERE i.org_id = $2 AND LOWER(i.name) LIKE $4 ESCAPE '\\'))
                   ORDER BY l.investor_id LIMIT {}", line_select(), limit.clamp(1, 10_000)))
            .bind(distribution_id)
            .bind(&actor.org_id)
            .bind(after_investor.unwrap_or(""))
            .bind(format!("{}%", escape_like(p))),
    };
    let lines = db
        .fetch_all(query)
        .await?
        .iter()
        .map(line_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut names = line_investor_names(db, actor, &lines).await?;
    Ok(lines
        .into_iter()
        .map(|line| NamedLine {
            investor_name: names.remove(&line.investor_id).unwrap_or_default(),
            line,
        })
        .collect())
}

/// The names of the lines' investors, by id ([`investor_names`]).
async fn line_investor_names(
    db: &Db,
    actor: &Actor,
    lines: &[Line],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let ids: Vec<&str> = lines.iter().map(|l| l.investor_id.as_str()).collect();
    investor_names(db, actor, &ids).await
}

/// The names of investors `ids`, by id, in one statement. Looked up apart from the rows
/// that name them: on PostgreSQL distribution lines' ids are `COLLATE "C"` and the
/// investors' are not, so a join between them cannot use the investors' key.
pub async fn investor_names(
    db: &Db,
    actor: &Actor,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    actor.require(Permission::Read)?;
    // An investor learns no other investor's name.
    let own: Vec<&str>;
    let ids = match actor.investor_id.as_deref() {
        Some(me) => {
            own = ids.iter().copied().filter(|id| *id == me).collect();
            &own[..]
        }
        None => ids,
    };
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let mut query = q(format!(
        "SELECT id, name FROM investors WHERE org_id = $1 AND id IN ({})",
        marks.join(", ")
    ))
    .bind(&actor.org_id);
    for id in ids {
        query.push(*id);
    }
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| Ok((r.text("id")?, r.text("name")?)))
        .collect()
}

/// One line; investors may only read their own.
pub async fn line(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Line, StoreError> {
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("line"));
    }
    get(db, actor, distribution_id).await?;
    let row = db
        .fetch_optional(
            q(format!("SELECT {} FROM distribution_lines l WHERE distribution_id = $1 AND org_id = $2 AND investor_id = $3", line_select()))
                .bind(distribution_id)
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?
        .ok_or(StoreError::NotFound("line"))?;
    line_from_row(&row)
}

/// An investor user's own lines on the given distributions (at most 200 ids: one page of a
/// list), keyed by distribution id; distributions they cannot see are left out. One query
/// instead of one per row of the portal's list.
pub async fn own_lines(
    db: &Db,
    actor: &Actor,
    distribution_ids: &[String],
) -> Result<Vec<(String, Line)>, StoreError> {
    actor.require(Permission::Read)?;
    let Some(investor) = actor.investor_id.as_deref() else {
        return Err(StoreError::Forbidden(
            "only investors have lines of their own".into(),
        ));
    };
    if distribution_ids.is_empty() {
        return Ok(Vec::new());
    }
    if distribution_ids.len() > 200 {
        return Err(StoreError::Conflict(
            "at most 200 distributions at once".into(),
        ));
    }
    let placeholders: Vec<String> = (0..distribution_ids.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let mut query = q(format!(
        "SELECT {} FROM distribution_lines WHERE org_id = $1 AND investor_id = $2 AND distribution_id IN
         (SELECT id FROM distributions WHERE org_id = $1 AND approved_by IS NOT NULL AND id IN ({}))",
        line_select(),
        placeholders.join(", ")
    ))
    .bind(&actor.org_id)
    .bind(investor);
    for id in distribution_ids {
        query.push(id);
    }
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| Ok((r.text("distribution_id")?, line_from_row(r)?)))
        .collect()
}

/// All lines of a distribution inside a transaction (staff only; used by reversals).
pub async fn all_lines_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<Line>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q(format!("SELECT {} FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 ORDER BY investor_id", line_select()))
            .bind(distribution_id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(line_from_row)
    .collect()
}

/// Count and sum of a distribution's stored lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineSummary {
    /// Number of lines.
    pub count: i64,
    /// Sum of the line totals, minor units.
    pub total_minor: i64,
}

/// Counts and sums the lines of a distribution of the actor's organization inside a
/// transaction (staff only; processing checks them against the header).
pub async fn line_summary_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<LineSummary, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) AS total FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2")
                .bind(distribution_id)
                .bind(&actor.org_id),
        )
        .await?
        // An aggregate without GROUP BY always answers one row.
        .ok_or_else(|| StoreError::Corrupt("the line summary query returned no row".into()))?;
    Ok(LineSummary {
        count: row.i64("n")?,
        total_minor: row.i64("total")?,
    })
}

/// Applies a status action to `current` (as read in this transaction), enforcing the state
/// machine, the role, and maker-checker; fails with a conflict if the row changed meanwhile.
pub async fn transition(
    tx: &mut Tx,
    actor: &Actor,
    current: &Distribution,
    action: Action,
) -> Result<Distribution, StoreError> {
    match action {
        Action::Approve => {
            actor.require(Permission::Approve)?;
        }
        _ => actor.require(Permission::Operate)?,
    }
    let next = current.status.apply(action)?;
    // Four eyes: the checker wrote none of what they approve (neither created nor edited it).
    if action == Action::Approve && wrote_content(tx, actor, current).await? {
        return Err(StoreError::Forbidden(
            "maker-checker: a user who created or edited a distribution cannot approve it".into(),
        ));
    }
    let approved_by = (action == Action::Approve).then(|| actor.user_id.clone());
    let row = tx
        .fetch_optional(
            q(format!("UPDATE distributions SET status = $1, approved_by = COALESCE($2, approved_by), approved_at = CASE WHEN $2 IS NULL THEN approved_at ELSE $3 END, updated_at = $3, version = version + 1
                       WHERE id = $4 AND org_id = $5 AND version = $6 RETURNING {COLUMNS}"))
                .bind(next.as_str())
                .bind(approved_by)
                .bind(now_text())
                .bind(&current.id)
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the distribution was changed by someone else; reload and retry".into()))?;
    from_row(&row)
}

/// Header fields an edit may change.
#[derive(Debug, Clone)]
pub struct Edit {
    /// New dates.
    pub schedule: Schedule,
    /// New description.
    pub description: String,
    /// New allocation request (when lines are replaced).
    pub allocation: Value,
}

/// Edits a DRAFT/READY distribution (back to DRAFT), optionally replacing all its lines.
pub async fn edit(
    tx: &mut Tx,
    actor: &Actor,
    current: &Distribution,
    edit: &Edit,
    new_lines: Option<&[PlannedLine]>,
) -> Result<Distribution, StoreError> {
    actor.require(Permission::Operate)?;
    let next = current.status.apply(Action::Edit)?;
    record_editor(tx, actor, &current.id).await?;
    if let Some(lines) = new_lines {
        tx.execute(
            q("DELETE FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2")
                .bind(&current.id)
                .bind(&actor.org_id),
        )
        .await?;
        let rows: Vec<Vec<Arg>> = lines
            .iter()
            .map(|l| line_args(&current.id, actor, l, None))
            .collect();
        tx.bulk_insert("distribution_lines", &LINE_COLUMNS, &rows)
            .await?;
    }
    let s = &edit.schedule;
    let row = tx
        .fetch_optional(
            q(format!("UPDATE distributions SET status = $1, declaration_date = $2, ex_date = $3, record_date = $4, payable_date = $5, description = $6, allocation = $7,
                         total_minor = (SELECT COALESCE(CAST(SUM(total_minor) AS BIGINT), 0) FROM distribution_lines WHERE distribution_id = $8),
                         line_count = (SELECT COUNT(*) FROM distribution_lines WHERE distribution_id = $8),
                         updated_at = $9, version = version + 1
                       WHERE id = $8 AND org_id = $10 AND version = $11 RETURNING {COLUMNS}"))
                .bind(next.as_str())
                .bind(s.declaration.to_string())
                .bind(s.ex.map(|d| d.to_string()))
                .bind(s.record.to_string())
                .bind(s.payable.to_string())
                .bind(&edit.description)
                .bind(edit.allocation.to_string())
                .bind(&current.id)
                .bind(now_text())
                .bind(&actor.org_id)
                .bind(current.version),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict("the distribution was changed by someone else; reload and retry".into()))?;
    from_row(&row)
}

/// Replaces one line's amounts in a DRAFT/READY distribution (back to DRAFT).
pub async fn replace_line(
    tx: &mut Tx,
    actor: &Actor,
    current: &Distribution,
    line: &PlannedLine,
) -> Result<Distribution, StoreError> {
    actor.require(Permission::Operate)?;
    current.status.apply(Action::Edit)?;
    let c = &line.components;
    let updated = tx
        .execute(
            q("UPDATE distribution_lines SET total_minor = $1, ordinary_minor = $2, qualified_minor = $3, st_gain_minor = $4, lt_gain_minor = $5, roc_minor = $6, interest_minor = $7, foreign_tax_minor = $8, withholding_minor = $9
               WHERE distribution_id = $10 AND org_id = $11 AND investor_id = $12")
                .bind(line.total)
                .bind(c.ordinary_dividend)
                .bind(c.qualified_dividend)
                .bind(c.short_term_gain)
                .bind(c.long_term_gain)
                .bind(c.return_of_capital)
                .bind(c.interest)
                .bind(c.foreign_tax)
                .bind(c.withholding)
                .bind(&current.id)
                .bind(&actor.org_id)
                .bind(&line.investor_id),
        )
        .await?;
    if updated == 0 {
        // A new investor joins the distribution.
        tx.bulk_insert(
            "distribution_lines",
            &LINE_COLUMNS,
            &[line_args(&current.id, actor, line, None)],
        )
        .await?;
    }
    let edit_same = Edit {
        schedule: current.schedule,
        description: current.description.clone(),
        // Keep the first computed allocation only: nesting it again on every line edit made
        // the stored JSON deeper than serde_json's recursion limit after ~128 edits.
        allocation: if current.allocation["method"] == "explicit" {
            current.allocation.clone()
        } else {
            serde_json::json!({ "method": "explicit", "editedFrom": current.allocation })
        },
    };
    self::edit(tx, actor, current, &edit_same, None).await
}

/// Number of distributions per status in the actor's organization.
pub async fn count_by_status(db: &Db, actor: &Actor) -> Result<Vec<(String, i64)>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(q("SELECT status, COUNT(*) AS n FROM distributions WHERE org_id = $1 GROUP BY status ORDER BY status").bind(&actor.org_id))
        .await?
        .iter()
        .map(|r| Ok((r.text("status")?, r.i64("n")?)))
        .collect()
}
