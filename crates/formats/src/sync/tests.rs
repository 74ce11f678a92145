use super::*;

fn errors(kind: FileKind, text: &str) -> Vec<(usize, String)> {
    read(kind, text.as_bytes())
        .unwrap_err()
        .into_iter()
        .map(|e| (e.row, e.field))
        .collect()
}

#[test]
fn reads_each_kind() {
    let navs = read(FileKind::Navs, b"fund_id,share_class,nav_date,nav_per_share,currency\nF1,,2026-01-31,10.500,USD\nF1,I,2026-01-31,11,USD\n").unwrap();
    let Records::Navs(n) = navs else { panic!() };
    assert_eq!(n.len(), 2);
    assert_eq!(n[0].share_class, "DEFAULT");
    assert_eq!(n[0].nav_per_share.to_string(), "10.500");
    assert_eq!(n[1].row, 3);
    let h = read(
        FileKind::Holdings,
        b"as_of,units,fund_id,share_class,investor_id\n2026-01-31,0,F1,,I1\n",
    )
    .unwrap();
    let Records::Holdings(h) = h else { panic!() };
    assert_eq!(
        (h[0].investor_id.as_str(), h[0].units),
        ("I1", Decimal::ZERO)
    );
    let p = read(FileKind::Preferences, b"investor_id,fund_id,reinvest_percent,payment_rail,bank_account_id\nI1,F1,50,,\nI2,F1,,ACH,B1\n").unwrap();
    let Records::Preferences(p) = p else { panic!() };
    assert_eq!(p[0].reinvest_percent, Some(Decimal::from(50)));
    assert_eq!(p[1].bank_account_id.as_deref(), Some("B1"));
    let s = read(FileKind::Schedules, b"fund_id,schedule_id,frequency,next_record_date,amount_per_unit,currency\nF1,S1,QUARTERLY,2026-03-31,0.25,USD\n").unwrap();
    assert_eq!(s.len(), 1);
}

#[test]
fn header_must_be_exact() {
    let e = errors(
        FileKind::Holdings,
        "fund_id,share_class,investor_id,as_of,units,extra\nF1,,I1,2026-01-31,1,x\n",
    );
    assert_eq!(e, vec![(1, "extra".to_string())]);
    let e = errors(
        FileKind::Holdings,
        "fund_id,share_class,investor_id,as_of\nF1,,I1,2026-01-31\n",
    );
    assert_eq!(e, vec![(1, "units".to_string())]);
}

#[test]
fn every_bad_cell_is_reported_with_row_and_column() {
    let e = errors(
        FileKind::Holdings,
        "fund_id,share_class,investor_id,as_of,units\nF1,,I1,2026-01-31,1.2.3\nF1,,I 2,2026-13-01,-1\nF1,,I3,2026-01-31,5\n",
    );
    assert_eq!(
        e,
        vec![
            (2, "units".to_string()),
            (3, "investor_id".to_string()),
            (3, "as_of".to_string()),
            (3, "units".to_string())
        ]
    );
}

#[test]
fn cut_lines_duplicates_and_empty_files_are_refused() {
    let e = errors(
        FileKind::Holdings,
        "fund_id,share_class,investor_id,as_of,units\nF1,,I1,2026-01-31,1\nF1,,I2,2026-01\n",
    );
    assert_eq!(e, vec![(3, "row".to_string())]);
    let e = errors(
        FileKind::Holdings,
        "fund_id,share_class,investor_id,as_of,units\nF1,,I1,2026-01-31,1\nF1,,I1,2026-01-31,2\n",
    );
    assert_eq!(e, vec![(3, "investor_id".to_string())]);
    assert_eq!(errors(FileKind::Navs, ""), vec![(1, "file".to_string())]);
    assert_eq!(
        errors(
            FileKind::Navs,
            "fund_id,share_class,nav_date,nav_per_share,currency\n"
        ),
        vec![(1, "file".to_string())]
    );
    let e = errors(
        FileKind::Preferences,
        "investor_id,fund_id,reinvest_percent,payment_rail,bank_account_id\nI1,F1,101,ACH,\n",
    );
    assert_eq!(
        e,
        vec![
            (2, "reinvest_percent".to_string()),
            (2, "bank_account_id".to_string())
        ]
    );
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) if !v.contains('-') => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                _ => sheet.write_string(r as u32, c as u16, *v).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn reads_xlsx_and_refuses_a_truncated_one() {
    let bytes = workbook(&[
        &["fund_id", "share_class", "investor_id", "as_of", "units"],
        &["F1", "", "I1", "2026-01-31", "12.5"],
    ]);
    let Records::Holdings(h) = read(FileKind::Holdings, &bytes).unwrap() else {
        panic!()
    };
    assert_eq!(h[0].units.to_string(), "12.5");
    assert_eq!(h[0].share_class, "DEFAULT");
    let cut = &bytes[..bytes.len() / 2];
    let e = read(FileKind::Holdings, cut).unwrap_err();
    assert_eq!((e[0].row, e[0].field.as_str()), (1, "file"));
}
