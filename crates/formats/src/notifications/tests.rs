use std::collections::HashSet;

use clearway_core::notifications::{Disclosure, EventKind, Locale};

use super::*;

fn overrides(name: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let source = BUILTIN.iter().find(|(n, _)| *n == name).expect(name).1;
    assert!(source.contains(from), "{name} has {from:?}");
    vec![(name.to_string(), source.replace(from, to))]
}

#[test]
fn the_builtin_templates_pass_their_own_load_check() {
    let t = Templates::builtin();
    t.check().unwrap();
    assert_eq!(Templates::with_overrides(&[]).map(|_| ()), Ok(()));
}

#[test]
fn names_cover_three_layouts_and_every_kind_in_every_locale() {
    let names: HashSet<&str> = Templates::names().into_iter().collect();
    assert_eq!(names.len(), 3 + EventKind::ALL.len() * Locale::ALL.len());
    for kind in EventKind::ALL {
        for locale in Locale::ALL {
            assert!(
                names.contains(kind_template(locale, kind).as_str()),
                "{kind} {locale}"
            );
        }
    }
}

#[test]
fn every_kind_and_locale_renders_with_its_figures_and_disclosures() {
    let t = Templates::builtin();
    for kind in EventKind::ALL {
        for locale in Locale::ALL {
            for roc in [false, true] {
                let ctx = sample_context(kind, locale, roc);
                let n = t
                    .render(&ctx)
                    .unwrap_or_else(|e| panic!("{kind} {locale}: {e}"));
                let required = clearway_core::notifications::required_disclosures(&ctx);
                for d in Disclosure::ALL {
                    let text = d.text(locale);
                    let want = required.contains(&d);
                    assert_eq!(n.text.contains(text), want, "{kind} {locale} {d:?} text");
                    assert_eq!(
                        n.in_app_body.contains(text),
                        want,
                        "{kind} {locale} {d:?} in-app"
                    );
                    assert_eq!(
                        n.html.contains(&HtmlEscape(text).to_string()),
                        want,
                        "{kind} {locale} {d:?} html"
                    );
                    assert!(!n.sms.contains(text), "no long disclosure in an SMS");
                }
                assert!(
                    n.sms.chars().count() <= SMS_MAX_CHARS,
                    "{kind} {locale}: {}",
                    n.sms
                );
                assert!(
                    n.sms.ends_with(&ctx.portal_url),
                    "{kind} {locale}: {}",
                    n.sms
                );
                assert!(n.html.starts_with("<!DOCTYPE html>"));
                assert!(n.html.contains(&format!("<html lang=\"{locale}\">")));
                assert!(n
                    .html
                    .contains("https:&#x2f;&#x2f;portal.example.com&#x2f;notices&#x2f;n-1"));
                assert!(n.html.contains("unsubscribe?t=abc"));
                assert!(n.text.contains("https://portal.example.com/notices/n-1"));
                for line in [&n.subject, &n.in_app_title, &n.sms] {
                    assert!(!line.is_empty() && !line.contains('\n'), "{kind} {locale}");
                    assert!(!line.contains("none"), "{kind} {locale}: {line}");
                }
                assert!(
                    !n.text.contains("none") && !n.html.contains(">none<"),
                    "{kind} {locale}"
                );
                if let Some(p) = &ctx.payment {
                    let amount = format_money(p.amount_minor, ctx.currency, locale);
                    assert!(
                        n.sms.contains(&amount) || kind == EventKind::DistributionProcessed,
                        "{kind}: {}",
                        n.sms
                    );
                    assert!(n.text.contains(&amount), "{kind} {locale}");
                }
            }
        }
    }
}

#[test]
fn a_distribution_notice_shows_non_zero_components_withholding_and_net_cash() {
    let t = Templates::builtin();
    let ctx = sample_context(EventKind::DistributionDeclared, Locale::En, true);
    let n = t.render(&ctx).unwrap();
    assert_eq!(
        n.subject,
        "Clearway Income Fund: a distribution was declared"
    );
    for line in [
        "  Ordinary dividends: $700.00",
        "  Qualified dividends: $334.56",
        "  Return of capital: $200.00",
        "  Total distribution: $1,234.56",
        "  Tax withheld: $24.00",
        "  Net cash: $710.56",
        "  Units held on the record date: 10,005.00",
        "  Record date: March 16, 2026",
    ] {
        assert!(n.text.contains(line), "{line}\n{}", n.text);
    }
    assert!(!n.text.contains("Interest") && !n.text.contains("Short-term"));
    assert!(n.html.contains(
        "<tr><th scope=\"row\" style=\"text-align:left;font-weight:normal;padding:4px 12px 4px 0;border-top:1px solid #dddddd;\">Return of capital</th><td style=\"text-align:right;padding:4px 0;border-top:1px solid #dddddd;\">$200.00</td></tr>"
    ));
    assert!(n.html.contains("<caption"));
    assert!(n.text.starts_with("Dear Ana O'Brien,\n"));
    assert_eq!(
        n.sms,
        "Clearway Income Fund: distribution declared. Your share $1,234.56, payable March 31, 2026. Details: https://portal.example.com/notices/n-1"
    );

    let es = t
        .render(&sample_context(
            EventKind::DistributionDeclared,
            Locale::Es,
            true,
        ))
        .unwrap();
    assert!(
        es.text.contains("  Devolución de capital: 200,00 US$"),
        "{}",
        es.text
    );
    assert!(es.text.contains("  Fecha de registro: 16 de marzo de 2026"));
    assert!(es.text.starts_with("Estimado/a Ana O'Brien:\n"));
}

#[test]
fn reinvestment_payment_and_arrival_are_personalised() {
    let t = Templates::builtin();
    let n = t
        .render(&sample_context(
            EventKind::DistributionProcessed,
            Locale::En,
            false,
        ))
        .unwrap();
    assert!(n.text.contains(
        "$499.90 was reinvested in 19.9000 shares at $25.12060 per share (net asset value of March 31, 2026). The fraction of a share that could not be bought, $0.10, is paid in cash."
    ), "{}", n.text);
    assert!(n.text.contains(
        "$710.56 is paid by ACH transfer to ••••6789 and should arrive by March 31, 2026."
    ));
    assert!(n.text.contains("  Expected arrival: March 31, 2026"));
    let failed = t
        .render(&sample_context(EventKind::PaymentFailed, Locale::Es, false))
        .unwrap();
    assert!(
        failed.text.contains("(R01 Insufficient funds)"),
        "{}",
        failed.text
    );
    assert!(failed.sms.contains("710,56 US$"));
}

#[test]
fn the_bank_change_copy_to_the_previous_contact_says_so() {
    let t = Templates::builtin();
    let own = t
        .render(&sample_context(
            EventKind::BankAccountChanged,
            Locale::En,
            false,
        ))
        .unwrap();
    let mut ctx = sample_context(EventKind::BankAccountChanged, Locale::En, false);
    ctx.bank_account.as_mut().unwrap().to_previous_contact = true;
    let copy = t.render(&ctx).unwrap();
    let says = "We are sending this copy to your previous contact details";
    assert!(!own.text.contains(says));
    assert!(copy.text.contains(says) && copy.html.contains(says));
    assert!(copy.text.contains("account ••••6789 at First Example Bank"));
    assert_eq!(
        own.subject,
        "Security notice: your bank account was changed"
    );
}

#[test]
fn a_model_greeting_replaces_the_templates_only_when_it_passes_the_rule() {
    let t = Templates::builtin();
    let mut ctx = sample_context(EventKind::PaymentSent, Locale::En, false);
    ctx.greeting = Some("Hello Ana, thank you for investing with us.".into());
    let n = t.render(&ctx).unwrap();
    assert!(n
        .text
        .starts_with("Hello Ana, thank you for investing with us.\n"));
    assert!(n
        .html
        .contains("<p>Hello Ana, thank you for investing with us.</p>"));
    ctx.greeting = Some("Hello Ana, you got 5 shares.".into());
    let n = t.render(&ctx).unwrap();
    assert!(n.text.starts_with("Dear Ana O'Brien,\n"), "{}", n.text);
}

#[test]
fn an_investor_name_with_markup_is_escaped_in_html_only() {
    let t = Templates::builtin();
    let mut ctx = sample_context(EventKind::DistributionDeclared, Locale::En, false);
    ctx.investor_name = "<script>alert(1)</script>".into();
    let n = t.render(&ctx).unwrap();
    assert!(!n.html.contains("<script>"), "{}", n.html);
    assert!(n
        .html
        .contains("Dear &lt;script&gt;alert(1)&lt;&#x2f;script&gt;,"));
    assert!(
        n.text.starts_with("Dear <script>alert(1)</script>,"),
        "plain text is not HTML"
    );
}

#[test]
fn without_an_unsubscribe_link_none_is_shown() {
    let t = Templates::builtin();
    let mut ctx = sample_context(EventKind::PaymentSent, Locale::En, false);
    ctx.unsubscribe_url = None;
    let n = t.render(&ctx).unwrap();
    assert!(!n.html.contains("Unsubscribe") && !n.text.contains("Unsubscribe"));
}

#[test]
fn an_override_that_drops_past_performance_is_refused_at_load() {
    let o = overrides(
        "layout.html",
        "{% if disclosures.past_performance %}\n<p>{{ disclosures.past_performance }}</p>\n{% endif %}\n",
        "",
    );
    let err = Templates::with_overrides(&o).unwrap_err();
    assert_eq!(
        err,
        TemplateError::Refused {
            kind: EventKind::DistributionDeclared,
            locale: Locale::En,
            error: RenderError::MissingDisclosure {
                disclosure: Disclosure::PastPerformance,
                part: Part::Html,
            },
        }
    );
    // Dropping it from the text layout only is refused too, naming that part.
    let o = overrides("layout.txt", "{{ disclosures.past_performance }}", "");
    match Templates::with_overrides(&o).unwrap_err() {
        TemplateError::Refused { error, .. } => assert_eq!(
            error,
            RenderError::MissingDisclosure {
                disclosure: Disclosure::PastPerformance,
                part: Part::Text
            }
        ),
        other => panic!("{other}"),
    }
}

#[test]
fn dropping_the_source_notice_is_refused_at_load_and_a_render_fails_closed() {
    let o = overrides(
        "layout.in_app.txt",
        "{{ disclosures.source_of_distribution }}",
        "",
    );
    let err = Templates::with_overrides(&o).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Refused {
                error: RenderError::MissingDisclosure {
                    disclosure: Disclosure::SourceOfDistribution,
                    part: Part::InApp
                },
                ..
            }
        ),
        "{err}"
    );
    // Compiled without the load check, the same templates still refuse the notice.
    let unchecked = Templates::compile(&o).unwrap();
    let roc = sample_context(EventKind::DistributionProcessed, Locale::Es, true);
    assert_eq!(
        unchecked.render(&roc),
        Err(RenderError::MissingDisclosure {
            disclosure: Disclosure::SourceOfDistribution,
            part: Part::InApp
        })
    );
    // A notice that needs no source notice still renders.
    let plain = sample_context(EventKind::DistributionProcessed, Locale::Es, false);
    assert!(unchecked.render(&plain).is_ok());
}

#[test]
fn an_altered_disclosure_does_not_count() {
    let o = overrides(
        "layout.html",
        "<p>{{ disclosures.tax_estimate }}</p>",
        "<p>{{ disclosures.tax_estimate | upper }}</p>",
    );
    assert!(matches!(
        Templates::with_overrides(&o),
        Err(TemplateError::Refused {
            error: RenderError::MissingDisclosure {
                disclosure: Disclosure::TaxEstimate,
                part: Part::Html
            },
            ..
        })
    ));
}

#[test]
fn a_syntax_error_is_refused_at_load_naming_the_template() {
    let o = vec![(
        "es/payment.sent.j2".to_string(),
        "{% block subject %}{{ fund_name }{% endblock %}".to_string(),
    )];
    match Templates::with_overrides(&o).unwrap_err() {
        TemplateError::Syntax { name, message } => {
            assert_eq!(name, "es/payment.sent.j2");
            assert!(message.contains("es/payment.sent.j2:1"), "{message}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn unknown_names_missing_blocks_unknown_variables_and_raw_markup_are_refused() {
    let o = vec![("en/payment.lost.j2".to_string(), String::new())];
    assert_eq!(
        Templates::with_overrides(&o).unwrap_err(),
        TemplateError::Unknown("en/payment.lost.j2".into())
    );
    let o = overrides(
        "en/payment.sent.j2",
        "{% block sms %}",
        "{% block sms_gone %}",
    );
    assert!(matches!(
        Templates::with_overrides(&o).unwrap_err(),
        TemplateError::Refused {
            kind: EventKind::PaymentSent,
            locale: Locale::En,
            error: RenderError::Template { .. }
        }
    ));
    let o = overrides(
        "en/payment.sent.j2",
        "{{ payment.amount }}",
        "{{ payment.amout }}",
    );
    assert!(matches!(
        Templates::with_overrides(&o).unwrap_err(),
        TemplateError::Refused { .. }
    ));
    let o = overrides(
        "layout.html",
        "<p>{{ greeting }}</p>",
        "<p>{{ greeting | safe }}</p>",
    );
    assert_eq!(
        Templates::with_overrides(&o).unwrap_err(),
        TemplateError::Unescaped {
            kind: EventKind::DistributionDeclared,
            locale: Locale::En
        }
    );
}

#[test]
fn an_sms_over_the_limit_is_refused_at_load_and_at_render() {
    let o = overrides(
        "en/check.stale.j2",
        "{{ fund_short }}: your check",
        &"y".repeat(330),
    );
    assert!(matches!(
        Templates::with_overrides(&o).unwrap_err(),
        TemplateError::Refused {
            kind: EventKind::CheckStale,
            locale: Locale::En,
            error: RenderError::SmsTooLong { .. }
        }
    ));
    let unchecked = Templates::compile(&o).unwrap();
    let err = unchecked
        .render(&sample_context(EventKind::CheckStale, Locale::En, false))
        .unwrap_err();
    assert!(
        matches!(err, RenderError::SmsTooLong { chars } if chars > SMS_MAX_CHARS),
        "{err}"
    );
}

/// Render throughput: `cargo test --release -p clearway-formats notifications::tests::render_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn render_throughput() {
    let t = Templates::builtin();
    let contexts: Vec<_> = EventKind::ALL
        .iter()
        .flat_map(|k| Locale::ALL.map(|l| sample_context(*k, l, true)))
        .collect();
    let n = 100_000;
    let start = std::time::Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        let notice = t.render(&contexts[i % contexts.len()]).unwrap();
        bytes += notice.html.len();
    }
    let elapsed = start.elapsed();
    println!(
        "{n} notices in {:.2} s: {:.1} µs/notice ({bytes} bytes of HTML)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    let start = std::time::Instant::now();
    Templates::with_overrides(&[]).unwrap();
    println!("load check: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
}

#[test]
fn templates_can_be_shared_between_worker_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    let t = Templates::builtin();
    shared(&t);
    let ctx = sample_context(EventKind::PaymentSent, Locale::En, false);
    let from_thread = std::thread::scope(|s| s.spawn(|| t.render(&ctx)).join().unwrap());
    assert_eq!(from_thread, t.render(&ctx));
}
