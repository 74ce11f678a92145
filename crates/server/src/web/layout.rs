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
            ("/account/payment-methods", "Payment methods"),
            ("/account/notifications", "Notifications"),
        ];
    }
    let mut nav = vec![
        ("/distributions", "Distributions"),
        ("/reconciliation", "Reconciliation"),
        ("/reports/distributions", "Reports"),
        ("/distributions/forecast", "Forecast"),
    ];
    if viewer.can(Permission::ReadAudit) {
        nav.push(("/audit", "Audit trail"));
    }
    nav.push(("/account/security", "Security"));
    nav
}

impl Chrome {
    /// The chrome of a page titled `title` at `path` (which section is current).
    pub fn new(viewer: &Viewer, title: impl Into<String>, path: &str) -> Chrome {
        let nav = nav_for(viewer)
            .into_iter()
            .map(|(href, label)| NavItem {
                href,
                label,
                current: path == href
                    || path.starts_with(&format!("{href}/"))
                        && !(href == "/distributions"
                            && path.starts_with("/distributions/forecast")),
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
