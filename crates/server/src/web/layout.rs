//! The chrome around every signed-in page: title, who is signed in, the navigation their role
//! sees, the sign-out form, and a notice after an action.

use clearway_core::access::Permission;

use super::Viewer;

/// A navigation link.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the current section.
    pub current: bool,
}

/// What the base layout needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's title.
    pub title: String,
    /// Who is signed in.
    pub user_name: String,
    /// Their role, as shown.
    pub role: String,
    /// The session's CSRF secret (sign-out and every form of the page).
    pub csrf: String,
    /// The navigation.
    pub nav: Vec<NavItem>,
    /// A one-line notice (after a redirect), if any.
    pub notice: Option<String>,
}

fn nav_for(viewer: &Viewer) -> Vec<(&'static str, &'static str)> {
    if viewer.is_investor() {
        return vec![
            ("/account/distributions", "My distributions"),
            ("/account/reinvestment-preferences", "Reinvestment"),
            ("/account/capital", "Capital account"),
            ("/account/payment-methods", "Payment methods"),
            ("/account/documents", "Documents"),
            ("/account/tax-forms", "Tax forms"),
            ("/account/tax-profile", "Tax profile"),
            ("/account/notifications", "Notifications"),
        ];
    }
    let mut nav = vec![
        ("/distributions", "Distributions"),
        ("/funds", "Funds"),
        ("/reconciliation", "Reconciliation"),
        ("/reports/distributions", "Reports"),
        ("/distributions/forecast", "Forecast"),
        ("/capital", "Capital"),
        ("/positions", "Positions"),
        ("/schedules", "Schedules"),
        ("/tax", "Tax"),
    ];
    if viewer.can(Permission::Operate) {
        nav.push(("/sync", "Sync"));
    }
    if viewer.can(Permission::Operate) || viewer.can(Permission::ReadAudit) {
        nav.push(("/notifications", "Notifications"));
    }
    if viewer.can(Permission::ReadAudit) {
        nav.push(("/audit", "Audit trail"));
        nav.push(("/events/streams", "Event streams"));
    }
    if viewer.can(Permission::Administer) {
        nav.push(("/notifications/defaults", "Notice defaults"));
    }
    nav.push(("/account/security", "Security"));
    nav
}

/// The navigation section a path belongs to: its first segment (two under `/account/`, where
/// each page is a section), except that the forecast, under `/distributions/`, is its own.
fn section(path: &str) -> &str {
    let path = path.split('?').next().unwrap_or("");
    if path.starts_with("/distributions/forecast") {
        return "/distributions/forecast";
    }
    let depth = if path.starts_with("/account/") { 3 } else { 2 };
    match path.match_indices('/').nth(depth - 1) {
        Some((end, _)) => &path[..end],
        None => path,
    }
}

impl Chrome {
    /// The chrome of a page titled `title` at `path` (which section is current).
    pub fn new(viewer: &Viewer, title: impl Into<String>, path: &str) -> Chrome {
        let nav = nav_for(viewer)
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: section(path) == section(href),
            })
            .collect();
        Chrome {
            title: title.into(),
            user_name: viewer.name.clone(),
            role: viewer.actor.role.as_str().to_string(),
            csrf: viewer.csrf.clone(),
            nav,
            notice: None,
        }
    }

    /// With a notice shown at the top.
    pub fn with_notice(mut self, notice: Option<String>) -> Chrome {
        self.notice = notice;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::section;

    #[test]
    fn every_report_lights_the_reports_link_and_the_forecast_its_own() {
        assert_eq!(
            section("/reports/tax-summary"),
            section("/reports/distributions")
        );
        assert_eq!(
            section("/distributions/0192-abc/payments"),
            "/distributions"
        );
        assert_eq!(section("/distributions"), "/distributions");
        assert_eq!(section("/distributions?status=DRAFT"), "/distributions");
        assert_eq!(
            section("/distributions/forecast"),
            "/distributions/forecast"
        );
        assert_eq!(
            section("/account/distributions/x/tax-documents"),
            "/account/distributions"
        );
        assert_ne!(
            section("/account/security"),
            section("/account/distributions")
        );
    }
}
