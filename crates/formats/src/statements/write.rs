//! A BAI2 writer for generated statements (simulations, benchmarks, tests): one file, one
//! group, one account, `16` details with value-dated funds type `V`, `88` continuations, and
//! every trailer total and record count computed so [`super::bai2::read`] verifies them.

use chrono::NaiveDate;

/// One transaction to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bai2Detail {
    /// BAI2 type code (e.g. 495 outgoing wire, 451 ACH debit, 475 check paid, 399 credit).
    pub type_code: u16,
    /// Amount in minor units, unsigned (the type code carries debit/credit).
    pub amount_minor: u64,
    /// Value date (funds type `V`).
    pub value_date: NaiveDate,
    /// Bank reference (no `,` or `/`).
    pub bank_reference: Option<String>,
    /// Customer reference (no `,` or `/`).
    pub customer_reference: Option<String>,
    /// Free text (slashes and line breaks are replaced by spaces).
    pub text: String,
    /// Continuation texts (`88` records), e.g. `CRNM:JOHN SMITH`.
    pub continuations: Vec<String>,
}

/// A single-account BAI2 file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bai2Spec {
    /// Sender id.
    pub sender: String,
    /// Receiver id.
    pub receiver: String,
    /// File id.
    pub file_id: String,
    /// Group as-of date (and file creation date).
    pub as_of: NaiveDate,
    /// Account number.
    pub account: String,
    /// Currency (2 decimals assumed by BAI2 for most currencies).
    pub currency: String,
    /// Opening ledger balance (type 010), minor units.
    pub opening_minor: i64,
    /// Closing ledger balance (type 015), minor units.
    pub closing_minor: i64,
    /// Transactions.
    pub details: Vec<Bai2Detail>,
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '/' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn signed(v: i64) -> String {
    if v < 0 {
        format!("-{}", v.unsigned_abs())
    } else {
        format!("+{v}")
    }
}

/// Writes the file.
pub fn bai2(spec: &Bai2Spec) -> String {
    let date = |d: NaiveDate| d.format("%y%m%d").to_string();
    let mut out = String::new();
    out.push_str(&format!(
        "01,{},{},{},0000,{},,,2/\n",
        spec.sender,
        spec.receiver,
        date(spec.as_of),
        spec.file_id
    ));
    out.push_str(&format!(
        "02,{},{},1,{},0000,{},2/\n",
        spec.receiver,
        spec.sender,
        date(spec.as_of),
        spec.currency
    ));
    out.push_str(&format!(
        "03,{},{},010,{},,,015,{},,/\n",
        spec.account,
        spec.currency,
        signed(spec.opening_minor),
        signed(spec.closing_minor)
    ));
    let mut total: i128 = i128::from(spec.opening_minor) + i128::from(spec.closing_minor);
    let mut records: u64 = 1;
    for d in &spec.details {
        out.push_str(&format!(
            "16,{:03},{},V,{},,{},{},{}/\n",
            d.type_code,
            d.amount_minor,
            date(d.value_date),
            d.bank_reference.as_deref().map(clean).unwrap_or_default(),
            d.customer_reference
                .as_deref()
                .map(clean)
                .unwrap_or_default(),
            clean(&d.text)
        ));
        total += i128::from(d.amount_minor);
        records += 1;
        for c in &d.continuations {
            out.push_str(&format!("88,{}/\n", clean(c)));
            records += 1;
        }
    }
    records += 1;
    out.push_str(&format!("49,{},{records}/\n", signed_i128(total)));
    let group_records = records + 2;
    out.push_str(&format!("98,{},1,{group_records}/\n", signed_i128(total)));
    out.push_str(&format!(
        "99,{},1,{}/\n",
        signed_i128(total),
        group_records + 2
    ));
    out
}

fn signed_i128(v: i128) -> String {
    if v < 0 {
        format!("-{}", v.unsigned_abs())
    } else {
        format!("+{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back_with_totals_verified() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap();
        let spec = Bai2Spec {
            sender: "BANK".into(),
            receiver: "CLEARWAY".into(),
            file_id: "7".into(),
            as_of: d,
            account: "12345".into(),
            currency: "USD".into(),
            opening_minor: 100_000,
            closing_minor: 60_050,
            details: vec![
                Bai2Detail {
                    type_code: 495,
                    amount_minor: 40_000,
                    value_date: d,
                    bank_reference: Some("B1".into()),
                    customer_reference: Some("E2E1".into()),
                    text: "WIRE OUT /EREF/E2E1/".into(),
                    continuations: vec!["CRNM:SMITH, JOHN".into()],
                },
                Bai2Detail {
                    type_code: 399,
                    amount_minor: 50,
                    value_date: d,
                    bank_reference: None,
                    customer_reference: None,
                    text: "INTEREST".into(),
                    continuations: vec![],
                },
            ],
        };
        let st = crate::statements::bai2::read(&bai2(&spec)).unwrap();
        assert_eq!(st.len(), 1);
        let l = &st[0].lines;
        assert_eq!(l[0].amount, "-400.00".parse().unwrap());
        assert_eq!(l[0].customer_reference.as_deref(), Some("E2E1"));
        assert_eq!(
            l[0].counterparty.as_ref().unwrap().name.as_deref(),
            Some("SMITH, JOHN")
        );
        assert_eq!(l[1].amount, "0.50".parse().unwrap());
        assert_eq!(l[0].value_date, Some(d));
    }
}
