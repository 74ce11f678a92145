//! Turning a notice's facts into words. The engine and the sender call only [`render`]; the
//! templates proper (`clearway_formats::notifications::Templates`) replace this plain
//! rendering at merge.

use clearway_core::notifications::disclosures::Disclosure;
use clearway_core::notifications::{EventKind, NoticeContext};

/// A notice in every shape a channel needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Email subject.
    pub subject: String,
    /// Email HTML (escaped).
    pub html: String,
    /// Email plain text.
    pub text: String,
    /// SMS text.
    pub sms: String,
    /// In-app title.
    pub in_app_title: String,
    /// In-app body.
    pub in_app_body: String,
}

/// Renders `ctx` (English wording; the locale's templates come with the template set).
pub fn render(ctx: &NoticeContext) -> Result<Rendered, String> {
    let fund = ctx.fund_name.as_deref().unwrap_or("your fund");
    let (title, lines) = facts(ctx, fund);
    let mut disclosures = vec![];
    if ctx.distribution.is_some() || ctx.reinvestment.is_some() || ctx.schedule.is_some() {
        disclosures.push(Disclosure::PastPerformance.text(ctx.locale));
    }
    if let Some(d) = &ctx.distribution {
        disclosures.push(Disclosure::TaxEstimate.text(ctx.locale));
        if d.components.return_of_capital > 0 {
            disclosures.push(Disclosure::SourceOfDistribution.text(ctx.locale));
        }
    }
    let greeting = format!("Dear {},", ctx.investor_name);
    let body_text = [lines.join("\n"), disclosures.join("\n\n")].join("\n\n");
    let text = format!("{greeting}\n\n{body_text}\n\n{}\n", ctx.portal_url);
    let html = format!(
        "<!doctype html><html><body><p>{}</p>{}{}<p><a href=\"{}\">View in the portal</a></p></body></html>",
        escape(&greeting),
        lines.iter().map(|l| format!("<p>{}</p>", escape(l))).collect::<String>(),
        disclosures.iter().map(|d| format!("<p><small>{}</small></p>", escape(d))).collect::<String>(),
        escape(&ctx.portal_url),
    );
    let sms = format!("{title}. {}", ctx.portal_url)
        .chars()
        .take(320)
        .collect();
    Ok(Rendered {
        subject: format!("{title} — {fund}"),
        html,
        text,
        sms,
        in_app_title: title.clone(),
        in_app_body: body_text,
    })
}

fn facts(ctx: &NoticeContext, fund: &str) -> (String, Vec<String>) {
    let money = |minor: i64| {
        format!(
            "{} {}",
            ctx.currency.format_minor(minor),
            ctx.currency.code()
        )
    };
    let mut lines = vec![];
    if let Some(d) = &ctx.distribution {
        lines.push(format!(
            "{fund}: {} gross, {} in cash, payable {} (record date {}).",
            money(d.gross_minor),
            money(d.net_cash_minor),
            d.payable_date,
            d.record_date
        ));
    }
    if let Some(p) = &ctx.payment {
        lines.push(format!(
            "Payment of {} by {} to {}.",
            money(p.amount_minor),
            p.method.as_str(),
            p.destination
        ));
        if let Some(r) = &p.reason {
            lines.push(format!("Reason: {r}."));
        }
    }
    if let Some(b) = &ctx.bank_account {
        lines.push(format!(
            "The bank account {} at {} was changed on {}. If you did not do this, contact us now.",
            b.masked_account, b.bank, b.changed_at
        ));
    }
    let title = match ctx.kind {
        EventKind::DistributionDeclared => "Distribution declared",
        EventKind::DistributionApproved => "Distribution approved",
        EventKind::DistributionProcessed => "Distribution paid",
        EventKind::ReinvestmentDone => "Reinvestment done",
        EventKind::PaymentSent => "Payment sent",
        EventKind::PaymentSettled => "Payment settled",
        EventKind::PaymentFailed => "Payment failed",
        EventKind::PaymentReturned => "Payment returned",
        EventKind::CheckStale => "Check not cashed",
        EventKind::BankAccountChanged => "Bank account changed",
        EventKind::TaxDocumentReady => "Tax document ready",
        EventKind::ScheduledDistributionUpcoming => "Distribution coming up",
    };
    (title.to_string(), lines)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
