//! A directory query: the typed form of a SCIM filter (RFC 7644 §3.4.2.2), produced by the SCIM
//! wire layer's parser and compiled to SQL by the store. Attribute names are as written by the
//! client; the schema resolves them case-insensitively.

use std::fmt;

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `attrPath pr`: the attribute has a non-empty value.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some element of multi-valued `attr` matches `filter`, whose paths are
    /// sub-attributes of `attr`.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
}

/// `[urn:]attr[.sub]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// Schema URN prefix as written, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    pub fn simple(attr: &str) -> Self {
        Self {
            urn: None,
            attr: attr.to_owned(),
            sub: None,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

/// `compValue = false / null / true / number / string`
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

/// A filter resolved against a resource's schema: every attribute is a known [`Field`] and every
/// value has that field's type. The store compiles this to SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Compare {
        field: Field,
        op: CompareOp,
        value: Literal,
    },
    /// The field has a value (non-empty for multi-valued fields).
    Present(Field),
    And(Box<Predicate>, Box<Predicate>),
    Or(Box<Predicate>, Box<Predicate>),
    Not(Box<Predicate>),
    /// Some element of the multi-valued document attribute `attr` satisfies `inner`, whose
    /// fields are [`Field::Element`].
    AnyElement {
        attr: Vec<String>,
        inner: Box<Predicate>,
    },
    /// Decided without looking at rows (e.g. `meta.resourceType eq "User"`).
    Constant(bool),
}

/// Where a filterable value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    /// Users' userName or groups' displayName: the indexed, lowercased key column.
    Key,
    ExternalId,
    Active,
    Created,
    LastModified,
    /// A single-valued string or boolean in the (lowercased) search document, by path of
    /// canonical keys, e.g. `["name", "familyName"]`.
    Document {
        path: Vec<String>,
        kind: FieldKind,
    },
    /// A sub-attribute of the current element inside [`Predicate::AnyElement`]; `None` for
    /// the element itself when it is a plain value.
    Element {
        key: String,
        kind: FieldKind,
    },
    /// Users: the ids of groups the user belongs to. Groups: the ids of members.
    Membership,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Boolean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Already lowercased when the field is case-insensitive.
    Text(String),
    Bool(bool),
    Time(chrono::DateTime<chrono::Utc>),
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Key,
    DisplayName,
    Created,
    LastModified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

/// One page of a listing: 1-based `start_index`, `count` items at most (0 = totals only).
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Option<Predicate>,
    pub sort: Option<Sort>,
    pub start_index: u64,
    pub count: u64,
}
