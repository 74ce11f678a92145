//! The file rails: NACHA ACH files, ISO 20022 pain.001 wire files and the check register, built
//! with the `formats` crate; NACHA return and notification-of-change files read back.
//!
//! A rail job takes every PENDING, unheld payment of one distribution and method, builds one
//! file, stores it sealed as a payment batch, and marks the payments SENT with their references
//! (trace number / end-to-end id / check number), batch id and expected date — in one
//! transaction with the job's completion, so a crash leaves either no file and PENDING
//! payments, or the file and SENT payments; never a second file for the same payments.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use clearway_core::payments::returns::{classify, is_return_code, parse_correction, AccountKind};
use clearway_core::payments::{Method, PaymentStatus};
use clearway_core::Currency;
use clearway_formats::ach::{
    self, AccountType, AchError, CreditBatchBuilder, CreditEntry, SecCode,
};
use clearway_formats::iso20022::pain001::{
    self, AccountId, Amount, ChargeBearer, CreditTransfer, Initiation, Party, PaymentBatch,
    PostalAddress, Version, WriteOptions,
};
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self, BankAccount};
use clearway_store::jobs::{self, Job};
use clearway_store::payment_batches::{self, NewBatch, NewSuggestion};
use clearway_store::payments::{self as pstore, Payment, Sent, Settlement, Update};
use clearway_store::{new_id, q, Actor, StoreError, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{connectors, Originator, SendVia, Vault};
use crate::jobs::JobError;
use crate::state::AppState;

/// Job kind: build the NACHA file of a distribution's pending ACH payments.
pub const ACH_JOB: &str = "payment.ach";
/// Job kind: build the pain.001 file of a distribution's pending wires.
pub const WIRE_JOB: &str = "payment.wire";
/// Job kind: number a distribution's pending checks into the register.
pub const CHECK_JOB: &str = "payment.check";

/// The rail job of a method.
pub fn job_kind(method: Method) -> &'static str {
    match method {
        Method::Ach => ACH_JOB,
        Method::Wire => WIRE_JOB,
        Method::Check => CHECK_JOB,
    }
}

/// Most entries in one NACHA batch (batches also split before their total reaches 12 digits).
const ACH_BATCH_ENTRIES_MAX: usize = 50_000;
/// Largest NACHA batch total (12-digit field), cents.
const ACH_BATCH_TOTAL_MAX: u64 = 999_999_999_999;

/// One ACH credit to write.
#[derive(Debug, Clone)]
pub struct AchItem {
    /// Payment id.
    pub payment_id: String,
    /// Receiver routing number.
    pub routing_number: String,
    /// Receiver account number (clear; only ever in the file).
    pub account_number: String,
    /// Checking or savings.
    pub account_type: AccountType,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Receiver is an entity (CCD) rather than a person (PPD).
    pub entity: bool,
    /// Receiver name.
    pub name: String,
}

/// NACHA-safe text: printable ASCII, upper case, at most `max` characters.
pub fn nacha_text(s: &str, max: usize) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c.to_ascii_uppercase()
            } else {
                ' '
            }
        })
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t: String = t.chars().take(max).collect();
    if t.trim().is_empty() {
        "INVESTOR".into()
    } else {
        t
    }
}

/// The 15-character identification number of an entry: the random tail of the payment id.
fn individual_id(payment_id: &str) -> String {
    let hex: String = payment_id.chars().filter(|c| *c != '-').collect();
    hex[hex.len().saturating_sub(15)..].to_ascii_uppercase()
}

/// Builds one NACHA file: PPD batch(es) for individuals, CCD for entities, all credits (22/32),
/// one effective date; trace numbers are the ODFI's 8-digit prefix and `first_sequence`,
/// `first_sequence + 1`… across batches. Returns the file text and each item's trace number.
pub fn nacha_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    first_sequence: u32,
    file_id_modifier: char,
    items: &[AchItem],
) -> Result<(String, Vec<String>), AchError> {
    let mut groups: Vec<(SecCode, Vec<usize>)> = Vec::new();
    for sec in [SecCode::Ppd, SecCode::Ccd] {
        let idx: Vec<usize> = (0..items.len())
            .filter(|i| (items[*i].entity) == (sec == SecCode::Ccd))
            .collect();
        if idx.is_empty() {
            continue;
        }
        // Split so that no batch exceeds its entry or total limits.
        let mut current: Vec<usize> = Vec::new();
        let mut total = 0u64;
        for i in idx {
            let amount = items[i].amount_cents;
            if !current.is_empty()
                && (current.len() >= ACH_BATCH_ENTRIES_MAX || total + amount > ACH_BATCH_TOTAL_MAX)
            {
                groups.push((sec, std::mem::take(&mut current)));
                total = 0;
            }
            total += amount;
            current.push(i);
        }
        groups.push((sec, current));
    }
    let company = nacha_text(&orig.company_name, 16);
    let mut batches = Vec::with_capacity(groups.len());
    let mut traces = vec![String::new(); items.len()];
    let mut seq = first_sequence;
    for (n, (sec, idx)) in groups.iter().enumerate() {
        let mut b = CreditBatchBuilder::new(
            &company,
            &orig.company_id,
            *sec,
            "DISTRIBUTN",
            effective,
            &orig.odfi_routing,
        );
        for &i in idx {
            let it = &items[i];
            b = b.entry(CreditEntry {
                routing_number: it.routing_number.clone(),
                account_number: it.account_number.clone(),
                account_type: it.account_type,
                amount_cents: it.amount_cents,
                individual_id: individual_id(&it.payment_id),
                individual_name: nacha_text(&it.name, 22),
                addenda: None,
            });
        }
        let batch = b.build(n as u32 + 1, seq)?;
        for (&i, e) in idx.iter().zip(&batch.entries) {
            traces[i] = e.trace_number.clone();
        }
        seq += batch.entries.len() as u32;
        batches.push(batch);
    }
    let header = ach::FileHeader {
        priority_code: "01".into(),
        immediate_destination: orig.odfi_routing.clone(),
        immediate_origin: orig.company_id.clone(),
        file_creation_date: created.date(),
        file_creation_time: chrono::NaiveTime::from_hms_opt(
            chrono::Timelike::hour(&created),
            chrono::Timelike::minute(&created),
            0,
        ),
        file_id_modifier,
        immediate_destination_name: nacha_text(&orig.bank_name, 23),
        immediate_origin_name: nacha_text(&orig.company_name, 23),
        reference_code: String::new(),
    };
    let file = ach::File::assemble(header, batches);
    Ok((ach::write_file(&file), traces))
}

/// pain.001 Latin-safe text (EPC/SWIFT subset), at most `max` characters.
pub fn latin_text(s: &str, max: usize) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t: String = t.chars().take(max).collect();
    if t.trim().is_empty() {
        "Investor".into()
    } else {
        t
    }
}

/// A pain.001 error without the offending value: it may be an account number or IBAN, and
/// failure reasons are stored and shown.
fn without_value(e: &pain001::Pain001Error) -> String {
    match e {
        pain001::Pain001Error::Field { path, problem, .. } => format!("{path}: {problem}"),
        other => other.to_string(),
    }
}

/// One wire to write.
#[derive(Debug, Clone)]
pub struct WireItem {
    /// Payment id.
    pub payment_id: String,
    /// Amount in payment-currency minor units.
    pub amount_minor: i64,
    /// Payment currency.
    pub currency: Currency,
    /// IBAN, or another account number.
    pub account: AccountId,
    /// Beneficiary bank BIC.
    pub bic: String,
    /// Beneficiary name.
    pub name: String,
    /// Beneficiary address.
    pub address: Option<PostalAddress>,
    /// Remittance text.
    pub remittance: String,
}

/// The end-to-end id of a payment (35 characters at most: the id without hyphens).
pub fn end_to_end_id(payment_id: &str) -> String {
    payment_id.chars().filter(|c| *c != '-').collect()
}

/// Builds a pain.001 (one PmtInf per currency, charges borne by the fund so investors receive
/// the full amount). Returns the XML.
pub fn pain001_file(
    orig: &Originator,
    message_id: &str,
    created: NaiveDateTime,
    execution: NaiveDate,
    items: &[WireItem],
    version: Version,
) -> Result<String, pain001::Pain001Error> {
    let mut by_ccy: Vec<(Currency, Vec<&WireItem>)> = Vec::new();
    for it in items {
        match by_ccy.iter_mut().find(|(c, _)| *c == it.currency) {
            Some((_, v)) => v.push(it),
            None => by_ccy.push((it.currency, vec![it])),
        }
    }
    let debtor = Party {
        name: latin_text(&orig.company_name, 140),
        address: None,
    };
    let batches = by_ccy
        .into_iter()
        .enumerate()
        .map(|(i, (ccy, its))| PaymentBatch {
            payment_information_id: format!(
                "{}-{}",
                &message_id[..message_id.len().min(30)],
                i + 1
            ),
            batch_booking: Some(false),
            service_level: Some("URGP".into()),
            execution_date: execution,
            debtor: debtor.clone(),
            debtor_account: AccountId::Other(orig.account_number.clone()),
            debtor_account_currency: None,
            debtor_agent_bic: Some(orig.bank_bic.clone()),
            charge_bearer: Some(ChargeBearer::Debt),
            payments: its
                .into_iter()
                .map(|it| CreditTransfer {
                    instruction_id: Some(end_to_end_id(&it.payment_id)),
                    end_to_end_id: end_to_end_id(&it.payment_id),
                    amount: Amount {
                        minor_units: it.amount_minor,
                        currency: ccy.code().to_string(),
                        exponent: ccy.minor_units(),
                    },
                    charge_bearer: None,
                    creditor_agent_bic: Some(it.bic.clone()),
                    creditor: Party {
                        name: latin_text(&it.name, 140),
                        address: it.address.clone(),
                    },
                    creditor_account: it.account.clone(),
                    remittance: Some(latin_text(&it.remittance, 140)),
                })
                .collect(),
        })
        .collect();
    let doc = Initiation {
        message_id: message_id.to_string(),
        created_at: created,
        initiating_party: latin_text(&orig.company_name, 140),
        batches,
    };
    pain001::write(
        &doc,
        &WriteOptions {
            version,
            ..WriteOptions::default()
        },
    )
}

/// A check to print: number, date, payee, amount, mailing address.
#[derive(Debug, Clone)]
pub struct CheckItem {
    /// Check number.
    pub number: i64,
    /// Payee.
    pub payee: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Mailing address lines.
    pub address: Vec<String>,
    /// Payment id.
    pub payment_id: String,
}

/// The check register file (CSV) handed to the check printer.
pub fn check_register(issue: NaiveDate, items: &[CheckItem]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "check_number",
        "issue_date",
        "payee",
        "amount",
        "currency",
        "address",
        "payment_id",
    ]);
    for c in items {
        let _ = w.write_record([
            c.number.to_string(),
            issue.to_string(),
            c.payee.clone(),
            c.currency.format_minor(c.amount_minor),
            c.currency.code().to_string(),
            c.address.join(", "),
            c.payment_id.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Address JSON (`{"lines": [...], "city", "postalCode", "country", ...}`) as pain.001 fields.
pub fn postal_address(v: &serde_json::Value) -> Option<PostalAddress> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(|t| latin_text(t, 70));
    let lines: Vec<String> = v
        .get("lines")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|t| latin_text(t, 70))
                .collect()
        })
        .unwrap_or_default();
    let country = v
        .get("country")
        .and_then(|x| x.as_str())
        .map(str::to_string);
    if lines.is_empty() && country.is_none() {
        return None;
    }
    // PostalAddress6 allows Ctry with AdrLine; keep it to lines + town + post code + country.
    let mut address_lines = lines;
    let town_line = [s("postalCode"), s("city")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !town_line.is_empty() {
        address_lines.push(town_line);
    }
    address_lines.truncate(7);
    Some(PostalAddress {
        country,
        address_lines,
        ..PostalAddress::default()
    })
}

/// Address JSON as printable lines (checks).
pub fn address_lines(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .get("lines")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let city = [s("city"), s("region"), s("postalCode")]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !city.is_empty() {
        out.push(city);
    }
    if !s("country").is_empty() {
        out.push(s("country"));
    }
    out
}

/// Trace sequences for `count` entries: one series per ODFI prefix for the whole installation,
/// so a trace number names one entry whatever organization sent it (returns are matched on it).
/// Sequences wrap within the 7 digits NACHA gives them, skipping the micro-deposit range.
pub async fn trace_sequences(
    tx: &mut Tx,
    odfi_prefix: &str,
    count: usize,
) -> Result<u32, StoreError> {
    let first =
        pstore::allocate_sequence(tx, "*", &format!("trace:{odfi_prefix}"), 1, count as i64)
            .await?;
    let start = (first - 1).rem_euclid((TRACE_SEQUENCE_MAX - count as i64).max(1)) + 1;
    Ok(start as u32)
}

/// Trace sequences of payment files stay below this; micro-deposits use 9,000,000 and up.
const TRACE_SEQUENCE_MAX: i64 = 9_000_000;

/// What one rail job produced.
struct Produced {
    kind: &'static str,
    file_name: String,
    content: String,
    sent: Vec<Sent>,
    rejected: Vec<(String, String)>,
    total_minor: i64,
    currency: String,
}

fn sealed_file(
    vault: &Vault,
    content: &str,
) -> Result<(clearway_store::bank_accounts::Sealed, String), JobError> {
    let (key_id, ciphertext) = vault
        .seal_bytes(content.as_bytes())
        .map_err(|e| JobError::Retryable(e.to_string()))?;
    Ok((
        clearway_store::bank_accounts::Sealed {
            key_id,
            ciphertext,
            last4: String::new(),
        },
        hex::encode(Sha256::digest(content.as_bytes())),
    ))
}

async fn payees_of(
    tx: &mut Tx,
    org_id: &str,
    payments: &[Payment],
) -> Result<HashMap<String, BankAccount>, StoreError> {
    let mut out = HashMap::new();
    let distribution = match payments.first() {
        Some(p) => p.distribution_id.clone(),
        None => return Ok(out),
    };
    // From the payments to their payees: index range, then primary-key lookups.
    let rows = tx
        .fetch_all(
            q("SELECT b.* FROM payments p JOIN bank_accounts b ON b.id = p.bank_account_id WHERE p.org_id = $1 AND p.distribution_id = $2 AND p.status = 'PENDING'")
                .bind(org_id)
                .bind(&distribution),
        )
        .await?;
    for r in rows {
        let b = bank_accounts::from_row(&r)?;
        out.insert(b.id.clone(), b);
    }
    Ok(out)
}

async fn produce_ach(
    tx: &mut Tx,
    state: &AppState,
    org_id: &str,
    distribution_id: &str,
    batch_id: &str,
    payments: &[Payment],
    effective: NaiveDate,
) -> Result<Produced, JobError> {
    let cfg = &state.config.payments;
    // Only the columns a NACHA entry needs, for every pending payment at once: at 100,000
    // payments the row decoding of whole payee rows costs more than building the file.
    let rows = tx
        .fetch_all(
            q("SELECT p.id, b.routing_number, b.account_type, b.account_enc, b.account_key_id, i.entity_type
               FROM payments p JOIN bank_accounts b ON b.id = p.bank_account_id JOIN investors i ON i.id = p.investor_id
               WHERE p.org_id = $1 AND p.distribution_id = $2 AND p.status = 'PENDING' AND p.method = 'ACH'")
                .bind(org_id)
                .bind(distribution_id),
        )
        .await?;
    struct Receiver {
        routing: Option<String>,
        savings: bool,
        sealed: Option<clearway_store::bank_accounts::Sealed>,
        entity: bool,
    }
    let mut receivers: HashMap<String, Receiver> = HashMap::with_capacity(rows.len());
    for r in rows {
        let sealed = match (r.opt_text("account_enc")?, r.opt_text("account_key_id")?) {
            (Some(ciphertext), Some(key_id)) => Some(clearway_store::bank_accounts::Sealed {
                key_id,
                ciphertext,
                last4: String::new(),
            }),
            _ => None,
        };
        receivers.insert(
            r.text("id")?,
            Receiver {
                routing: r.opt_text("routing_number")?,
                savings: r.opt_text("account_type")?.as_deref() == Some("SAVINGS"),
                sealed,
                entity: !matches!(
                    r.text("entity_type")?.as_str(),
                    "INDIVIDUAL" | "JOINT" | "IRA"
                ),
            },
        );
    }
    let mut items = Vec::with_capacity(payments.len());
    let mut kept = Vec::with_capacity(payments.len());
    let mut rejected = Vec::new();
    for p in payments {
        let Some(b) = receivers.get(&p.id) else {
            rejected.push((p.id.clone(), "payee no longer exists".to_string()));
            continue;
        };
        let account = match b.sealed.as_ref().map(|s| cfg.vault.open(s)) {
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                return Err(JobError::Permanent(format!(
                    "payee of payment {}: {e}",
                    p.id
                )))
            }
            None => {
                rejected.push((p.id.clone(), "payee has no account number".into()));
                continue;
            }
        };
        if p.currency != "USD" {
            rejected.push((
                p.id.clone(),
                format!("ACH pays USD only, not {}", p.currency),
            ));
            continue;
        }
        items.push(AchItem {
            payment_id: p.id.clone(),
            routing_number: b.routing.clone().unwrap_or_default(),
            account_number: account,
            account_type: if b.savings {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents: p.amount_minor as u64,
            entity: b.entity,
            name: p.payee_name.clone(),
        });
        kept.push(p);
    }
    let prefix = &cfg.originator.odfi_routing[..8.min(cfg.originator.odfi_routing.len())];
    let first = trace_sequences(tx, prefix, items.len()).await?;
    let created = chrono::Utc::now().naive_utc();
    let (content, traces) = if items.is_empty() {
        (String::new(), Vec::new())
    } else {
        nacha_file(&cfg.originator, created, effective, first, 'A', &items)
            .map_err(|e| JobError::Permanent(format!("NACHA file: {e}")))?
    };
    let sent = kept
        .iter()
        .zip(traces)
        .map(|(p, t)| Sent {
            id: p.id.clone(),
            reference: t,
            attempt: p.attempt,
        })
        .collect();
    Ok(Produced {
        kind: "NACHA",
        file_name: format!("ach-{}-{batch_id}.ach", effective.format("%Y%m%d")),
        content,
        sent,
        rejected,
        total_minor: kept.iter().map(|p| p.amount_minor).sum(),
        currency: "USD".into(),
    })
}

async fn produce_wire(
    tx: &mut Tx,
    state: &AppState,
    org_id: &str,
    batch_id: &str,
    payments: &[Payment],
    execution: NaiveDate,
    description: &str,
) -> Result<Produced, JobError> {
    let cfg = &state.config.payments;
    let payees = payees_of(tx, org_id, payments).await?;
    let mut items = Vec::new();
    let mut kept = Vec::new();
    let mut rejected = Vec::new();
    let message_id = end_to_end_id(batch_id);
    let created = chrono::Utc::now().naive_utc();
    for p in payments {
        let Some(b) = p.bank_account_id.as_ref().and_then(|id| payees.get(id)) else {
            rejected.push((p.id.clone(), "payee no longer exists".to_string()));
            continue;
        };
        let account = match b.account.as_ref().map(|s| cfg.vault.open(s)) {
            Some(Ok(a)) => a,
            Some(Err(e)) => return Err(JobError::Permanent(format!("payee {}: {e}", b.id))),
            None => {
                rejected.push((p.id.clone(), "payee has no account number or IBAN".into()));
                continue;
            }
        };
        let currency = Currency::parse(&p.currency).map_err(JobError::Permanent)?;
        let account = if pain001::validate_iban(&account).is_ok() {
            AccountId::Iban(account)
        } else {
            AccountId::Other(account)
        };
        let item = WireItem {
            payment_id: p.id.clone(),
            amount_minor: p.amount_minor,
            currency,
            account,
            bic: b.bic.clone().unwrap_or_default(),
            name: p.payee_name.clone(),
            address: b.address.as_ref().and_then(postal_address),
            remittance: format!("Distribution {description}"),
        };
        // Each wire alone first, so one bad payee fails only its own payment.
        match pain001_file(
            &cfg.originator,
            &message_id,
            created,
            execution,
            std::slice::from_ref(&item),
            Version::V03,
        ) {
            Ok(_) => {
                items.push(item);
                kept.push(p);
            }
            Err(e) => rejected.push((p.id.clone(), format!("pain.001: {}", without_value(&e)))),
        }
    }
    let content = if items.is_empty() {
        String::new()
    } else {
        pain001_file(
            &cfg.originator,
            &message_id,
            created,
            execution,
            &items,
            Version::V03,
        )
        .map_err(|e| JobError::Permanent(without_value(&e)))?
    };
    let currency = kept
        .first()
        .map(|p| p.currency.clone())
        .unwrap_or_else(|| "USD".into());
    Ok(Produced {
        kind: "PAIN001",
        file_name: format!("wires-{}-{batch_id}.xml", execution.format("%Y%m%d")),
        content,
        sent: kept
            .iter()
            .map(|p| Sent {
                id: p.id.clone(),
                reference: end_to_end_id(&p.id),
                attempt: p.attempt,
            })
            .collect(),
        rejected,
        total_minor: if kept.iter().all(|p| p.currency == currency) {
            kept.iter().map(|p| p.amount_minor).sum()
        } else {
            0
        },
        currency,
    })
}

async fn produce_checks(
    tx: &mut Tx,
    state: &AppState,
    org_id: &str,
    batch_id: &str,
    payments: &[Payment],
    issue: NaiveDate,
) -> Result<Produced, JobError> {
    let cfg = &state.config.payments;
    let payees = payees_of(tx, org_id, payments).await?;
    let mut rejected = Vec::new();
    let mut to_print = Vec::new();
    for p in payments {
        match p
            .bank_account_id
            .as_ref()
            .and_then(|id| payees.get(id))
            .and_then(|b| b.address.clone())
        {
            Some(address) => to_print.push((p, address)),
            None => rejected.push((p.id.clone(), "payee has no mailing address".to_string())),
        }
    }
    // Numbers only for the checks printed: the register has no gaps.
    let mut next =
        pstore::next_check_numbers(tx, org_id, cfg.first_check_number, to_print.len() as i64)
            .await?;
    let mut items = Vec::new();
    let mut kept = Vec::new();
    for (p, address) in to_print {
        items.push(CheckItem {
            number: next,
            payee: p.payee_name.clone(),
            amount_minor: p.amount_minor,
            currency: Currency::parse(&p.currency).map_err(JobError::Permanent)?,
            address: address_lines(&address),
            payment_id: p.id.clone(),
        });
        kept.push(p);
        next += 1;
    }
    Ok(Produced {
        kind: "CHECK_REGISTER",
        file_name: format!("checks-{}-{batch_id}.csv", issue.format("%Y%m%d")),
        content: check_register(issue, &items),
        sent: kept
            .iter()
            .zip(&items)
            .map(|(p, c)| Sent {
                id: p.id.clone(),
                reference: c.number.to_string(),
                attempt: p.attempt,
            })
            .collect(),
        rejected,
        total_minor: kept.iter().map(|p| p.amount_minor).sum(),
        currency: kept
            .first()
            .map(|p| p.currency.clone())
            .unwrap_or_else(|| "USD".into()),
    })
}

/// A rail job: builds the file of a distribution's pending payments of one method (or, when
/// sending through providers, enqueues one provider call per ACH/wire payment).
pub async fn run_rail_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    let method = match job.kind.as_str() {
        ACH_JOB => Method::Ach,
        WIRE_JOB => Method::Wire,
        _ => Method::Check,
    };
    let distribution_id = crate::jobs::payload_text(job, "distributionId")?;
    let actor = Actor::system(&job.org_id);
    let mut tx = state.db.begin().await?;
    let pending =
        pstore::pending_for_rail(&mut tx, &job.org_id, &distribution_id, method, None).await?;
    if method != Method::Check && state.config.payments.send_via == SendVia::Providers {
        for p in &pending {
            jobs::enqueue(
                &mut tx,
                &job.org_id,
                connectors::SEND_JOB,
                json!({ "paymentId": p.id }),
                Some(&format!("{}:{}", connectors::SEND_JOB, p.id)),
                4,
            )
            .await?;
        }
        jobs::finish(&mut tx, job, worker_id).await?;
        tx.commit().await?;
        state.jobs_ready.notify_waiters();
        return Ok(());
    }
    if !pending.is_empty() {
        send_file(&mut tx, state, &actor, &distribution_id, method, &pending).await?;
    }
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(())
}

/// Builds, stores and "sends" the file of `pending` payments inside `tx` (wires: one file per
/// currency); returns the (last) batch id.
pub async fn send_file(
    tx: &mut Tx,
    state: &AppState,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    pending: &[Payment],
) -> Result<Option<String>, JobError> {
    if method != Method::Wire {
        return send_one_file(tx, state, actor, distribution_id, method, pending).await;
    }
    // One pain.001 per currency, so every batch has one currency and a true total.
    let mut currencies: Vec<&str> = pending.iter().map(|p| p.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let mut last = None;
    for ccy in currencies {
        let group: Vec<Payment> = pending
            .iter()
            .filter(|p| p.currency == ccy)
            .cloned()
            .collect();
        if let Some(id) = send_one_file(tx, state, actor, distribution_id, method, &group).await? {
            last = Some(id);
        }
    }
    Ok(last)
}

async fn send_one_file(
    tx: &mut Tx,
    state: &AppState,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    pending: &[Payment],
) -> Result<Option<String>, JobError> {
    let org_id = &actor.org_id;
    let started = std::time::Instant::now();
    let d = clearway_store::distributions::get_tx(tx, actor, distribution_id).await?;
    let date = super::service::expected_date(&d);
    let batch_id = new_id();
    let produced = match method {
        Method::Ach => {
            produce_ach(tx, state, org_id, distribution_id, &batch_id, pending, date).await?
        }
        Method::Wire => {
            produce_wire(tx, state, org_id, &batch_id, pending, date, &d.description).await?
        }
        Method::Check => produce_checks(tx, state, org_id, &batch_id, pending, date).await?,
    };
    for (payment_id, reason) in &produced.rejected {
        let p = pending
            .iter()
            .find(|p| &p.id == payment_id)
            .expect("rejected payment is pending");
        let failed = pstore::transition(
            tx,
            org_id,
            p,
            PaymentStatus::Failed,
            &Update {
                code: Some("BAD_ACCOUNT".into()),
                reason: Some(reason.clone()),
                ..Update::default()
            },
        )
        .await?;
        pstore::after_failure(tx, org_id, &failed).await?;
    }
    if produced.sent.is_empty() {
        return Ok(None);
    }
    let built = started.elapsed();
    let (sealed, sha) = sealed_file(&state.config.payments.vault, &produced.content)?;
    payment_batches::insert(
        tx,
        org_id,
        &NewBatch {
            id: batch_id.clone(),
            kind: produced.kind,
            distribution_id: Some(distribution_id.to_string()),
            status: "GENERATED",
            payment_count: produced.sent.len() as i64,
            total_minor: produced.total_minor,
            currency: produced.currency.clone(),
            effective_date: date.to_string(),
            file_name: Some(produced.file_name.clone()),
            file: Some(sealed),
            file_sha256: Some(sha.clone()),
        },
    )
    .await?;
    let stored = started.elapsed();
    pstore::mark_sent(tx, org_id, method, &batch_id, date, &produced.sent).await?;
    tracing::debug!(
        payments = produced.sent.len(),
        built_ms = built.as_millis() as u64,
        stored_ms = stored.as_millis() as u64,
        sent_ms = started.elapsed().as_millis() as u64,
        "payment file"
    );
    audit::record(
        tx,
        actor,
        Change {
            action: "payment_batch.generate",
            entity_type: "payment_batch",
            entity_id: &batch_id,
            before: None,
            after: Some(json!({ "kind": produced.kind, "distributionId": distribution_id, "payments": produced.sent.len(), "rejected": produced.rejected.len(), "total": produced.total_minor, "currency": produced.currency, "sha256": sha })),
        },
    )
    .await?;
    clearway_store::outbox::emit(tx, org_id, "payment_batch.generated", "payment_batch", &batch_id, json!({ "batchId": batch_id, "kind": produced.kind, "distributionId": distribution_id, "payments": produced.sent.len(), "effectiveDate": date.to_string() })).await?;
    Ok(Some(batch_id))
}

/// What a return / NOC file did.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReturnsOutcome {
    /// Return entries read.
    pub returns: usize,
    /// Returns applied to one of our payments.
    pub applied: usize,
    /// Returns for payments already in that state (a file imported twice).
    pub already_applied: usize,
    /// Notifications of change read (each a suggested payee update).
    pub notices: usize,
    /// Trace numbers we do not know.
    pub unmatched: Vec<String>,
}

/// Applies a NACHA return / NOC file: each return (addenda 99) moves its payment to RETURNED
/// (FAILED if it had not been sent) with the code and reason, and starts the retry or review;
/// each NOC (addenda 98) becomes a suggested payee update. Unknown traces are reported.
pub async fn import_returns(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    bytes: &[u8],
) -> Result<ReturnsOutcome, crate::http::ApiError> {
    let file = ach::parse_bytes(bytes).map_err(|e| {
        crate::http::ApiError::field(
            match e.line() {
                Some(line) => format!("file (line {line}, {})", e.field()),
                None => format!("file ({})", e.field()),
            },
            e.to_string(),
        )
    })?;
    let mut out = ReturnsOutcome::default();
    for batch in &file.batches {
        for entry in &batch.entries {
            for addenda in &entry.addenda {
                match addenda {
                    ach::Addenda::Return(r) => {
                        out.returns += 1;
                        let Some((org, p)) = pstore::find_by_reference(
                            tx,
                            "trace_number",
                            r.original_trace_number.trim(),
                        )
                        .await?
                        else {
                            out.unmatched.push(r.original_trace_number.clone());
                            continue;
                        };
                        if org != actor.org_id {
                            out.unmatched.push(r.original_trace_number.clone());
                            continue;
                        }
                        let code = r.return_code.trim().to_string();
                        let (reason, _) = classify(&code);
                        let reason = if is_return_code(&code) {
                            reason.to_string()
                        } else {
                            format!("unknown return code {code}")
                        };
                        let settlement = if matches!(
                            p.status,
                            PaymentStatus::Pending | PaymentStatus::Processing
                        ) {
                            Settlement::Failed { code, reason }
                        } else {
                            Settlement::Returned { code, reason }
                        };
                        if p.status.is_live()
                            && !p.status.can_become(
                                if matches!(settlement, Settlement::Failed { .. }) {
                                    PaymentStatus::Failed
                                } else {
                                    PaymentStatus::Returned
                                },
                            )
                        {
                            out.already_applied += 1;
                            continue;
                        }
                        if pstore::settle(tx, actor, &p.id, &settlement).await? {
                            out.applied += 1;
                        } else {
                            out.already_applied += 1;
                        }
                    }
                    ach::Addenda::Noc(n) => {
                        out.notices += 1;
                        let Some((org, p)) = pstore::find_by_reference(
                            tx,
                            "trace_number",
                            n.original_trace_number.trim(),
                        )
                        .await?
                        else {
                            out.unmatched.push(n.original_trace_number.clone());
                            continue;
                        };
                        let (Some(account_id), true) =
                            (p.bank_account_id.clone(), org == actor.org_id)
                        else {
                            out.unmatched.push(n.original_trace_number.clone());
                            continue;
                        };
                        let Some(c) = parse_correction(&n.change_code, &n.corrected_data) else {
                            continue;
                        };
                        let account = match &c.account_number {
                            Some(a) => Some(
                                vault
                                    .seal(a)
                                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                            ),
                            None => None,
                        };
                        payment_batches::suggest(
                            tx,
                            &actor.org_id,
                            &NewSuggestion {
                                bank_account_id: account_id,
                                payment_id: Some(p.id.clone()),
                                change_code: n.change_code.clone(),
                                routing_number: c.routing_number.clone(),
                                account,
                                account_type: c.account_kind.map(|k| match k {
                                    AccountKind::Checking => "CHECKING".into(),
                                    AccountKind::Savings => "SAVINGS".into(),
                                }),
                            },
                        )
                        .await?;
                    }
                    _ => {}
                }
            }
        }
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "payments.returns_import",
            entity_type: "payment_batch",
            entity_id: "ach-returns",
            before: None,
            after: Some(json!({ "returns": out.returns, "applied": out.applied, "alreadyApplied": out.already_applied, "notices": out.notices, "unmatched": out.unmatched.len() })),
        },
    )
    .await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(i: usize, entity: bool) -> AchItem {
        AchItem {
            payment_id: format!("0190f3a2-7c1e-7abc-8def-{:012x}", i),
            routing_number: "121042882".into(),
            account_number: format!("{:010}", 1_000_000 + i),
            account_type: if i.is_multiple_of(3) {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents: 1_000 + i as u64,
            entity,
            name: format!("Investor Ñame {i}"),
        }
    }

    #[test]
    fn nacha_files_read_back_with_ppd_and_ccd_batches() {
        let items: Vec<AchItem> = (0..25).map(|i| item(i, i.is_multiple_of(5))).collect();
        let created = NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 15, 0)
            .unwrap();
        let effective = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let (text, traces) =
            nacha_file(&Originator::default(), created, effective, 41, 'A', &items).unwrap();
        assert!(text.lines().all(|l| l.len() == 94));
        assert_eq!(text.lines().count() % 10, 0, "blocking factor 10");
        let file = ach::parse_file(&text).unwrap();
        assert_eq!(file.batches.len(), 2);
        assert_eq!(file.batches[0].header.sec_code, SecCode::Ppd);
        assert_eq!(file.batches[1].header.sec_code, SecCode::Ccd);
        assert_eq!(file.batches[1].entries.len(), 5);
        let total: u64 = items.iter().map(|i| i.amount_cents).sum();
        assert_eq!(file.control.total_credit, total);
        assert_eq!(file.control.total_debit, 0, "money only goes out");
        for b in &file.batches {
            assert_eq!(b.header.effective_entry_date, Some(effective));
            for e in &b.entries {
                assert!(matches!(e.transaction_code, 22 | 32));
                assert!(e.trace_number.starts_with("02100002"));
            }
        }
        let mut sorted = traces.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 25, "unique traces");
        assert_eq!(
            traces[1], "021000020000041",
            "PPD entries first, from the given sequence"
        );
        assert!(
            text.contains("INVESTOR AME 1 "),
            "non-ASCII letters are dropped, text upper-cased"
        );
    }

    #[test]
    fn pain001_validates_and_keeps_currency_exponents() {
        let created = NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let items = vec![
            WireItem {
                payment_id: "0190f3a2-7c1e-7abc-8def-000000000001".into(),
                amount_minor: 123_456,
                currency: Currency::parse("EUR").unwrap(),
                account: AccountId::Iban("DE89370400440532013000".into()),
                bic: "COBADEFFXXX".into(),
                name: "Zoë Müller".into(),
                address: None,
                remittance: "Q1".into(),
            },
            WireItem {
                payment_id: "0190f3a2-7c1e-7abc-8def-000000000002".into(),
                amount_minor: 15_125,
                currency: Currency::parse("JPY").unwrap(),
                account: AccountId::Other("1234567".into()),
                bic: "BOTKJPJT".into(),
                name: "Taro".into(),
                address: None,
                remittance: "Q1".into(),
            },
        ];
        let xml = pain001_file(
            &Originator::default(),
            "0190f3a27c1e7abc8def000000000009",
            created,
            created.date(),
            &items,
            Version::V03,
        )
        .unwrap();
        assert!(
            xml.contains("<InstdAmt Ccy=\"EUR\">1234.56</InstdAmt>"),
            "{xml}"
        );
        assert!(xml.contains("<InstdAmt Ccy=\"JPY\">15125</InstdAmt>"));
        assert!(xml.contains("<ChrgBr>DEBT</ChrgBr>"));
        let (_, read) = pain001::read(&xml).unwrap();
        assert_eq!(read.batches.len(), 2, "one PmtInf per currency");
        assert_eq!(
            read.batches[0].payments[0].end_to_end_id,
            "0190f3a27c1e7abc8def000000000001"
        );
    }
}
