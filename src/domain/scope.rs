//! What a credential may do. Scopes are coarse on purpose: one per client kind.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One permission a credential can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Provision people and groups over `/scim/v2` (IdPs and HR systems).
    Scim,
    /// Read the admin API.
    AdminRead,
    /// Change things through the admin API.
    AdminWrite,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Scim, Scope::AdminRead, Scope::AdminWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scim => "scim",
            Scope::AdminRead => "admin:read",
            Scope::AdminWrite => "admin:write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}` (expected one of: scim, admin:read, admin:write)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| UnknownScope(s.trim().to_owned()))
    }
}

/// A non-empty set of scopes, kept sorted so its text form is canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses a list separated by commas or spaces (`"scim,admin:read"`, `"scim admin:read"`).
    pub fn parse(text: &str) -> Result<Self, ScopesError> {
        let scopes = text
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(Scope::from_str)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if scopes.is_empty() {
            return Err(ScopesError::Empty);
        }
        Ok(Self(scopes))
    }

    pub fn from_set(scopes: BTreeSet<Scope>) -> Result<Self, ScopesError> {
        if scopes.is_empty() {
            Err(ScopesError::Empty)
        } else {
            Ok(Self(scopes))
        }
    }

    /// A set that is non-empty by construction.
    pub fn of(first: Scope, rest: &[Scope]) -> Self {
        let mut set = BTreeSet::from([first]);
        set.extend(rest.iter().copied());
        Self(set)
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Space-separated, the OAuth convention; this is also the stored form.
    pub fn to_text(&self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopesError {
    #[error("at least one scope is required")]
    Empty,
    #[error(transparent)]
    Unknown(#[from] UnknownScope),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commas_and_spaces_into_a_canonical_text() {
        let scopes = Scopes::parse("admin:write, scim").unwrap();
        assert_eq!(scopes.to_text(), "scim admin:write");
        assert!(scopes.contains(Scope::Scim));
        assert!(!scopes.contains(Scope::AdminRead));
    }

    #[test]
    fn rejects_unknown_and_empty() {
        assert_eq!(
            Scopes::parse("scim,root"),
            Err(ScopesError::Unknown(UnknownScope("root".into())))
        );
        assert_eq!(Scopes::parse(" , "), Err(ScopesError::Empty));
    }
}
