//! Pages of tax profiles and withholding (issue 19): the profile page and its form, the list
//! with its import, the liability page, and the investor's own profile in the portal.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn tax_profile_pages_show_masked_tins_and_refuse_bad_input() {
    let app = spawn_app(4).await;
    let inv = app.seeded.investor_ids.clone();
    let mut web = app.sign_in("operator").await;
    let path = format!("/investors/{}/tax-profile", inv[0]);

    let none = web.get(&path).await;
    assert_eq!(none.status, StatusCode::OK, "{}", none.body);
    assert!(none
        .body
        .contains("No profile: treated as a US person without a TIN"));

    // A bad TIN: 422 with the error next to the field, and nothing written.
    let fields = |tin: &'static str| {
        [
            ("tin_type", "SSN"),
            ("tin", tin),
            ("tin_status", "CERTIFIED"),
            ("residency", "US"),
            ("certificate", "W-9"),
            ("residence_state", "NY"),
        ]
    };
    let bad = web.post(&path, &fields("12-345")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-tin\""), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"12-345\""),
        "the typed value is kept"
    );
    let api = app
        .get(
            "operator",
            &format!("/api/investors/{}/tax-profile", inv[0]),
        )
        .await;
    assert_eq!(api.status().as_u16(), 404, "nothing was written");

    let ok = web.post(&path, &fields("123-45-6789")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let shown = web.get(&path).await;
    assert!(shown.body.contains("•••••6789"), "{}", shown.body);
    assert!(!shown.body.contains("123-45-6789") && !shown.body.contains("123456789"));
    assert!(shown.body.contains("CERTIFIED") && shown.body.contains("NY"));
    let api: Value = app
        .get(
            "operator",
            &format!("/api/investors/{}/tax-profile", inv[0]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(api["tinMasked"], "•••••6789");
    assert_eq!(api["residenceState"], "NY");

    // The list: the profile with its masked TIN; the attention filter leaves it out.
    let list = web.get("/tax/profiles").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains(&path) && list.body.contains("•••••6789"));
    let attention = web.get("/tax/profiles?attention=1").await;
    assert!(!attention.body.contains(&path), "{}", attention.body);

    // The import: a bad row refuses the whole file, naming row and field; a good one counts.
    let csv = |body: String| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.into_bytes())
                .file_name("p.csv")
                .mime_str("text/csv")
                .unwrap(),
        )
    };
    let header = "investorId,tinType,tin,tinStatus,residency,certificate,country,treatyClaim\n";
    let bad = web
        .post_multipart(
            "/tax/profiles/import",
            csv(format!(
                "{header}{},,,MISSING,US,,,false\n{},,,MISSING,FOREIGN,W-8BEN,,true\n",
                inv[1], inv[2]
            )),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("Nothing imported"), "{}", bad.body);
    assert!(bad.body.contains("rows[3].country"), "{}", bad.body);
    let missing = app
        .get(
            "operator",
            &format!("/api/investors/{}/tax-profile", inv[1]),
        )
        .await;
    assert_eq!(missing.status().as_u16(), 404, "all or nothing");
    let good = web
        .post_multipart(
            "/tax/profiles/import",
            csv(format!(
                "{header}{},,,MISSING,US,,,false\n{},,,MISSING,FOREIGN,W-8BEN,DE,true\n",
                inv[1], inv[2]
            )),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(
        good.body
            .contains("Imported: 2 created, 0 changed, 0 unchanged"),
        "{}",
        good.body
    );

    // The liability page: the form and tables; a bad date is a 422 naming it.
    let report = web
        .get("/tax/withholding?from=2025-01-01&to=2025-12-31&period=quarter")
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("Backup (945)") && report.body.contains("Flagged lines"));
    assert!(report.body.contains(
        "/api/tax/withholding-liability?from=2025-01-01&#38;to=2025-12-31&#38;period=quarter&#38;format=csv"
    ), "{}", report.body);
    let bad = web
        .get("/tax/withholding?from=2025-13-01&to=2025-12-31")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-from\""), "{}", bad.body);
    let hub = web.get("/tax").await;
    assert!(
        hub.body.contains("href=\"/tax/profiles\"")
            && hub.body.contains("href=\"/tax/withholding\"")
    );

    // The investor: staff pages send them home; their own profile is in the portal, masked.
    let mut me = app.sign_in("investor").await;
    for p in [path.as_str(), "/tax/profiles", "/tax/withholding"] {
        let away = me.get(p).await;
        assert_eq!(away.status, StatusCode::SEE_OTHER, "{p}");
        assert!(!away.body.contains("6789"), "{p}");
    }
    let posted = me.post(&path, &fields("987-65-4321")).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.body);
    let own = me.get("/account/tax-profile").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(own.body.contains("•••••6789"), "{}", own.body);
    assert!(!own.body.contains("name=\"tin\""), "read-only");
    assert_eq!(
        web.get("/account/tax-profile").await.status,
        StatusCode::SEE_OTHER,
        "staff are sent to the console"
    );
    app.stop().await;
}
