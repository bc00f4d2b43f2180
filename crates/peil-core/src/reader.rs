//! Who is reading (lezer): the one access context of a request.
//!
//! A server resolves every request exactly once to a [`Reader`] — anonymous, an API key's
//! access groups, or a logged-in user's (a back-office session) — and passes that value
//! explicitly to everything that answers: lists, values, selections, pages, stories, exports.
//! Nothing reads access from a header, a task-local or a global after that point, so a cached
//! answer keyed on [`Reader::access`] can never be served to someone with other rights.

use std::fmt;
use std::sync::Arc;

/// The reader of one request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Reader {
    who: Who,
    /// Sorted and without duplicates, so that equal rights compare (and hash) equal.
    groups: Arc<[String]>,
}

/// How a reader identified themself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Who {
    /// No credentials: public indicators only.
    #[default]
    Anonymous,
    /// An API key, by its name (never the key itself).
    Key(String),
    /// A logged-in user, by account name.
    User(String),
}

impl Reader {
    /// A reader without credentials: sees public indicators only.
    pub fn anonymous() -> Reader {
        Reader::default()
    }

    /// A reader holding an API key named `name` with these access groups.
    pub fn key(name: impl Into<String>, groups: impl IntoIterator<Item = String>) -> Reader {
        Reader {
            who: Who::Key(name.into()),
            groups: normalise(groups),
        }
    }

    /// A logged-in user with these access groups.
    pub fn user(name: impl Into<String>, groups: impl IntoIterator<Item = String>) -> Reader {
        Reader {
            who: Who::User(name.into()),
            groups: normalise(groups),
        }
    }

    pub fn who(&self) -> &Who {
        &self.who
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self.who, Who::Anonymous)
    }

    /// The reader's access groups, sorted.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// Whether the reader is in this access group.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups
            .binary_search_by(|g| g.as_str().cmp(group))
            .is_ok()
    }

    /// What decides which answers this reader gets: equal for two readers exactly when they
    /// see the same data. Two keys with the same groups share cached answers; an anonymous
    /// reader and a key without groups do too. (The [`crate::GUEST`] group applies to every
    /// reader alike, so it is not part of the key.) What the groups grant is decided by the
    /// published snapshot, never here: `peil_compute::Snapshot::grants`.
    pub fn access(&self) -> &[String] {
        &self.groups
    }
}

fn normalise(groups: impl IntoIterator<Item = String>) -> Arc<[String]> {
    let mut v: Vec<String> = groups
        .into_iter()
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .collect();
    v.sort_unstable();
    v.dedup();
    v.into()
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.who {
            Who::Anonymous => f.write_str("anonymous"),
            Who::Key(n) => write!(f, "key {n} (groups: {})", self.groups.join(",")),
            Who::User(n) => write!(f, "user {n} (groups: {})", self.groups.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_normalised() {
        let r = Reader::key("dash", ["staff".to_string(), " staff".into(), "".into()]);
        assert_eq!(r.groups(), ["staff"]);
        assert!(r.in_group("staff") && !r.in_group("council"));
        assert!(Reader::anonymous().groups().is_empty());
    }

    #[test]
    fn equal_rights_share_access() {
        let a = Reader::key("a", ["x".to_string(), "y".into()]);
        let b = Reader::key("b", ["y".to_string(), "x".into()]);
        assert_eq!(a.access(), b.access());
        assert_ne!(a.access(), Reader::anonymous().access());
        assert_eq!(Reader::key("c", []).access(), Reader::anonymous().access());
    }
}
