//! The pain.001 the product originates for a distribution's wires: one payment information
//! block per currency, charges borne by the fund (`DEBT`) so investors receive the full
//! amount, names and texts reduced to the Latin character set; written with [`write()`].

use chrono::{NaiveDate, NaiveDateTime};

use super::pain001::{
    write, AccountId, Amount, ChargeBearer, CreditTransfer, Initiation, Pain001Error, Party,
    PaymentBatch, PostalAddress, Version, WriteOptions,
};

/// The fund paying: initiating party and debtor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    /// Initiating party and debtor name.
    pub name: String,
    /// Debtor account (the fund's disbursement account).
    pub account_number: String,
    /// Debtor agent (our bank's) BIC.
    pub bank_bic: String,
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

/// One wire to write.
#[derive(Debug, Clone)]
pub struct WireItem {
    /// Payment id (its dashes removed, the InstrId: our reference with our own bank).
    pub payment_id: String,
    /// EndToEndId: our reference token (13 characters), which the beneficiary bank and
    /// statements carry back; banks keep its first 16 characters, so it survives cutting.
    pub end_to_end_id: String,
    /// Amount in payment-currency minor units.
    pub amount_minor: i64,
    /// Payment currency (ISO 4217 code).
    pub currency: String,
    /// Decimals of the currency's minor unit (2 for EUR, 0 for JPY).
    pub exponent: u32,
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

/// An id without its hyphens (35 characters at most): message and instruction ids, and the
/// end-to-end id of wires sent before the reference token.
pub fn end_to_end_id(payment_id: &str) -> String {
    payment_id.chars().filter(|c| *c != '-').collect()
}

/// Builds a pain.001 (one PmtInf per currency, charges borne by the fund so investors receive
/// the full amount). Returns the XML.
pub fn credit_transfer_file(
    debtor: &Debtor,
    message_id: &str,
    created: NaiveDateTime,
    execution: NaiveDate,
    items: &[WireItem],
    version: Version,
) -> Result<String, Pain001Error> {
    let mut by_ccy: Vec<(&str, Vec<&WireItem>)> = Vec::new();
    for it in items {
        match by_ccy.iter_mut().find(|(c, _)| *c == it.currency) {
            Some((_, v)) => v.push(it),
            None => by_ccy.push((&it.currency, vec![it])),
        }
    }
    let debtor_party = Party {
        name: latin_text(&debtor.name, 140),
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
            debtor: debtor_party.clone(),
            debtor_account: AccountId::Other(debtor.account_number.clone()),
            debtor_account_currency: None,
            debtor_agent_bic: Some(debtor.bank_bic.clone()),
            charge_bearer: Some(ChargeBearer::Debt),
            payments: its
                .into_iter()
                .map(|it| CreditTransfer {
                    instruction_id: Some(end_to_end_id(&it.payment_id)),
                    end_to_end_id: it.end_to_end_id.clone(),
                    amount: Amount {
                        minor_units: it.amount_minor,
                        currency: ccy.to_string(),
                        exponent: it.exponent,
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
        initiating_party: latin_text(&debtor.name, 140),
        batches,
    };
    write(
        &doc,
        &WriteOptions {
            version,
            ..WriteOptions::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::pain001::read;
    use super::*;

    #[test]
    fn one_batch_per_currency_with_its_exponent_and_charges_on_the_fund() {
        let created = NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let items = vec![
            WireItem {
                payment_id: "0190f3a2-7c1e-7abc-8def-000000000001".into(),
                end_to_end_id: "WMYY49Y6NKQAR".into(),
                amount_minor: 123_456,
                currency: "EUR".into(),
                exponent: 2,
                account: AccountId::Iban("DE89370400440532013000".into()),
                bic: "COBADEFFXXX".into(),
                name: "Zoë Müller".into(),
                address: None,
                remittance: "Q1".into(),
            },
            WireItem {
                payment_id: "0190f3a2-7c1e-7abc-8def-000000000002".into(),
                end_to_end_id: "7QK3M90000001".into(),
                amount_minor: 15_125,
                currency: "JPY".into(),
                exponent: 0,
                account: AccountId::Other("1234567".into()),
                bic: "BOTKJPJT".into(),
                name: "Taro".into(),
                address: None,
                remittance: "Q1".into(),
            },
        ];
        let debtor = Debtor {
            name: "CLEARWAY FUNDS".into(),
            account_number: "000123456789".into(),
            bank_bic: "CHASUS33".into(),
        };
        let xml = credit_transfer_file(
            &debtor,
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
        let (_, read) = read(&xml).unwrap();
        assert_eq!(read.batches.len(), 2, "one PmtInf per currency");
        assert_eq!(read.batches[0].payments[0].amount.currency, "EUR");
        assert_eq!(read.batches[1].payments[0].amount.minor_units, 15_125);
        // The token is the end-to-end id; the id stays the instruction id.
        assert_eq!(read.batches[0].payments[0].end_to_end_id, "WMYY49Y6NKQAR");
        assert_eq!(
            read.batches[0].payments[0].instruction_id.as_deref(),
            Some("0190f3a27c1e7abc8def000000000001")
        );
        assert_eq!(read.batches[0].payments[0].creditor.name, "Zo M ller");
    }
}
