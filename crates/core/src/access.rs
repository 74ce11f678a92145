//! Roles and what each may do. The storage layer calls these checks on every operation.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role within one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything in the organization, including webhooks and users.
    Admin,
    /// Fund operations: declares, edits, submits, processes, reverses.
    Operator,
    /// Compliance: approves (never their own), reads everything.
    Approver,
    /// Reads only their own investor's data.
    Investor,
    /// Reads everything, changes nothing.
    Auditor,
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the organization's data (investors are further narrowed to their own rows).
    Read,
    /// Create, edit, submit, cancel, process and reverse distributions; manage funds and holdings.
    Operate,
    /// Approve distributions.
    Approve,
    /// Read the audit log.
    ReadAudit,
    /// Manage webhooks and organization settings.
    Administer,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 5] = [
        Permission::Read,
        Permission::Operate,
        Permission::Approve,
        Permission::ReadAudit,
        Permission::Administer,
    ];
}

impl Role {
    /// Whether this role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Operator => matches!(permission, Read | Operate),
            Role::Approver => matches!(permission, Read | Approve),
            Role::Investor => matches!(permission, Read),
            Role::Auditor => matches!(permission, Read | ReadAudit),
        }
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Investor => "investor",
            Role::Auditor => "auditor",
        }
    }

    /// Whether a token of a user with this role may act with role `scope`: never with a
    /// permission the user lacks, and investor scope only for investor users (it is narrowed
    /// to their investor, which other users do not have).
    pub fn may_scope(self, scope: Role) -> bool {
        if self == Role::Investor || scope == Role::Investor {
            return self == scope;
        }
        Permission::ALL
            .into_iter()
            .all(|p| !scope.allows(p) || self.allows(p))
    }

    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Approver,
        Role::Investor,
        Role::Auditor,
    ];
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_and_approver_approve_and_auditor_changes_nothing() {
        let approvers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::Approve))
            .collect();
        assert_eq!(approvers, vec![Role::Admin, Role::Approver]);
        assert!(!Role::Auditor.allows(Permission::Operate));
        assert!(!Role::Investor.allows(Permission::ReadAudit));
        for r in Role::ALL {
            assert!(r.allows(Permission::Read));
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }

    #[test]
    fn a_token_scope_never_grants_more_than_the_role() {
        use Role::*;
        assert!(Admin.may_scope(Admin) && Admin.may_scope(Auditor) && Admin.may_scope(Operator));
        assert!(Operator.may_scope(Operator) && !Operator.may_scope(Admin));
        assert!(!Operator.may_scope(Approver) && !Operator.may_scope(Auditor));
        assert!(Auditor.may_scope(Auditor) && !Auditor.may_scope(Operator));
        assert!(Investor.may_scope(Investor) && !Investor.may_scope(Auditor));
        assert!(!Admin.may_scope(Investor) && !Auditor.may_scope(Investor));
    }
}
