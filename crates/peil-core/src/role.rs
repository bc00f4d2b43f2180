//! What a back-office user may do (rol), as Swing sites name the roles.
//!
//! Roles are ordered: each one may do everything the ones below it may. What a user may
//! *read* is decided by their access groups (see [`crate::Reader`]), not by their role.

use std::fmt;

/// A back-office user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A logged-in reader of restricted data: their own account only, no admin pages.
    Viewer,
    /// Loads data, metadata, themes, dashboards and stories, and publishes.
    Expert,
    /// Administrator (beheerder): everything, including users, keys, settings and the audit log.
    Beheerder,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Expert, Role::Beheerder];

    /// The role's name as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Expert => "expert",
            Role::Beheerder => "beheerder",
        }
    }

    /// A role by its name (`viewer`, `expert`, `beheerder`; `admin`/`administrator` too).
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "expert" => Ok(Role::Expert),
            "beheerder" | "admin" | "administrator" => Ok(Role::Beheerder),
            other => Err(format!(
                "unknown role '{other}': expected viewer, expert or beheerder"
            )),
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_named() {
        assert!(Role::Beheerder.allows(Role::Expert));
        assert!(Role::Expert.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Expert));
        assert!(!Role::Expert.allows(Role::Beheerder));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").unwrap_err().contains("expected viewer"));
    }
}
