//! Resolves a parsed filter against a resource's schema into a [`Predicate`] the store can
//! compile: attribute names become fields (case-insensitively, URN-qualified or not), values
//! get the field's type, and case-insensitive values are lowercased to match the search
//! document. Anything unknown or ill-typed is 400 `invalidFilter`, never "match all".

use chrono::{DateTime, Datelike, Utc};

use super::resource::ResourceKind;
use super::schema::{self, Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN, Kind};
use crate::domain::query::{
    AttrPath, CompValue, CompareOp, Field, FieldKind, Filter, Literal, Predicate,
};
use crate::http::errors::WireError;

pub fn invalid_filter(detail: impl Into<String>) -> WireError {
    WireError::bad_request(detail).with_scim_type("invalidFilter")
}

pub fn resolve(filter: &Filter, kind: ResourceKind) -> Result<Predicate, WireError> {
    Ok(match filter {
        Filter::And(a, b) => {
            Predicate::And(Box::new(resolve(a, kind)?), Box::new(resolve(b, kind)?))
        }
        Filter::Or(a, b) => Predicate::Or(Box::new(resolve(a, kind)?), Box::new(resolve(b, kind)?)),
        Filter::Not(inner) => Predicate::Not(Box::new(resolve(inner, kind)?)),
        Filter::Present(path) => present(resolve_path(path, kind)?),
        Filter::Compare { path, op, value } => compare(resolve_path(path, kind)?, *op, value)?,
        Filter::ValuePath { attr, filter } => value_path(attr, filter, kind)?,
    })
}

/// What an attribute path names.
enum Target {
    Field(Field, ValueType),
    /// A multi-valued complex attribute and, maybe, one of its sub-attributes.
    Multi {
        attr: &'static Attr,
        sub: Option<&'static Attr>,
    },
    /// Users' `groups` / groups' `members`.
    Membership,
    ResourceType,
    Schemas,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueType {
    /// Compared after lowercasing (caseExact=false).
    Text,
    ExactText,
    Bool,
    Time,
    Id,
}

fn resolve_path(path: &AttrPath, kind: ResourceKind) -> Result<Target, WireError> {
    let unknown = || invalid_filter(format!("unknown attribute `{path}`"));
    let sub = path.sub.as_deref();
    if let Some(urn) = &path.urn {
        if kind == ResourceKind::User && urn.eq_ignore_ascii_case(ENTERPRISE_URN) {
            let attr = schema::find(&ENTERPRISE_ATTRS, &path.attr).ok_or_else(unknown)?;
            return document_target(vec![ENTERPRISE_URN.to_owned()], attr, sub).ok_or_else(unknown);
        }
        if !urn.eq_ignore_ascii_case(kind.core_urn()) {
            return Err(unknown());
        }
    }
    let name = path.attr.as_str();
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    let no_sub = |target: Target| {
        if sub.is_none() {
            Ok(target)
        } else {
            Err(unknown())
        }
    };
    if is("id") {
        return no_sub(Target::Field(Field::Id, ValueType::Id));
    }
    if is("externalId") {
        return no_sub(Target::Field(Field::ExternalId, ValueType::ExactText));
    }
    if is("schemas") {
        return no_sub(Target::Schemas);
    }
    if is("meta") {
        return match sub.map(str::to_ascii_lowercase).as_deref() {
            Some("created") => Ok(Target::Field(Field::Created, ValueType::Time)),
            Some("lastmodified") => Ok(Target::Field(Field::LastModified, ValueType::Time)),
            Some("resourcetype") => Ok(Target::ResourceType),
            _ => Err(invalid_filter(format!(
                "filtering on `{path}` is not supported"
            ))),
        };
    }
    match kind {
        ResourceKind::User if is("userName") => {
            return no_sub(Target::Field(Field::Key, ValueType::Text));
        }
        ResourceKind::User if is("active") => {
            return no_sub(Target::Field(Field::Active, ValueType::Bool));
        }
        ResourceKind::Group if is("displayName") => {
            return no_sub(Target::Field(Field::Key, ValueType::Text));
        }
        ResourceKind::User if is("groups") => return membership(sub, path),
        ResourceKind::Group if is("members") => return membership(sub, path),
        _ => {}
    }
    if let Some(attr) = schema::find(kind.core_attrs(), name) {
        return document_target(Vec::new(), attr, sub).ok_or_else(unknown);
    }
    // Enterprise attributes unprefixed (`manager eq "id"`, as Entra checks a manager).
    match schema::find(&ENTERPRISE_ATTRS, name) {
        Some(attr) if kind == ResourceKind::User => {
            document_target(vec![ENTERPRISE_URN.to_owned()], attr, sub).ok_or_else(unknown)
        }
        _ => Err(unknown()),
    }
}

/// `groups`, `groups.value`, `members`, `members.value`: membership by id.
fn membership(sub: Option<&str>, path: &AttrPath) -> Result<Target, WireError> {
    match sub {
        None => Ok(Target::Membership),
        Some(s) if s.eq_ignore_ascii_case("value") => Ok(Target::Membership),
        Some(_) => Err(invalid_filter(format!(
            "filtering on `{path}` is not supported; use its value"
        ))),
    }
}

/// An attribute stored in the document, under `prefix` (the extension URN, or nothing).
fn document_target(prefix: Vec<String>, attr: &'static Attr, sub: Option<&str>) -> Option<Target> {
    if attr.multi {
        let sub = match sub {
            Some(s) => Some(attr.sub_attr(s)?),
            None => None,
        };
        return Some(Target::Multi { attr, sub });
    }
    let mut path = prefix;
    path.push(attr.name.to_owned());
    let leaf = match (attr.kind, sub) {
        (Kind::Complex, Some(s)) => {
            let sub = attr.sub_attr(s)?;
            path.push(sub.name.to_owned());
            sub
        }
        // `manager eq "id"` means `manager.value eq "id"` (RFC 7644 §3.4.2.2).
        (Kind::Complex, None) => {
            let value = attr.sub_attr("value")?;
            path.push(value.name.to_owned());
            value
        }
        (_, Some(_)) => return None,
        (_, None) => attr,
    };
    let (kind, value) = field_kind(leaf);
    Some(Target::Field(Field::Document { path, kind }, value))
}

fn field_kind(attr: &Attr) -> (FieldKind, ValueType) {
    match attr.kind {
        Kind::Boolean => (FieldKind::Boolean, ValueType::Bool),
        _ => (FieldKind::Text, ValueType::Text),
    }
}

fn present(target: Target) -> Predicate {
    match target {
        Target::Field(field, _) => Predicate::Present(field),
        Target::Multi { attr, sub: None } => Predicate::AnyElement {
            attr: vec![attr.name.to_owned()],
            inner: Box::new(Predicate::Constant(true)),
        },
        Target::Multi {
            attr,
            sub: Some(sub),
        } => Predicate::AnyElement {
            attr: vec![attr.name.to_owned()],
            inner: Box::new(Predicate::Present(element(sub))),
        },
        Target::Membership => Predicate::Present(Field::Membership),
        Target::ResourceType | Target::Schemas => Predicate::Constant(true),
    }
}

fn element(sub: &'static Attr) -> Field {
    Field::Element {
        key: sub.name.to_owned(),
        kind: field_kind(sub).0,
    }
}

fn compare(target: Target, op: CompareOp, value: &CompValue) -> Result<Predicate, WireError> {
    // `eq null` is "not present"; `ne null` is "present" (RFC 7643 §2.5: null = unassigned).
    if *value == CompValue::Null {
        return match op {
            CompareOp::Eq => Ok(Predicate::Not(Box::new(present(target)))),
            CompareOp::Ne => Ok(present(target)),
            _ => Err(invalid_filter("null compares with eq and ne only")),
        };
    }
    match target {
        Target::Field(field, value_type) => field_compare(field, value_type, op, value),
        Target::Multi { attr, sub } => {
            // `emails co "x"` compares the elements' `value` (RFC 7644 §3.4.2.2).
            let sub = match sub {
                Some(sub) => sub,
                None => attr.sub_attr("value").ok_or_else(|| {
                    invalid_filter(format!("`{}` needs a sub-attribute", attr.name))
                })?,
            };
            let (_, value_type) = field_kind(sub);
            Ok(Predicate::AnyElement {
                attr: vec![attr.name.to_owned()],
                inner: Box::new(field_compare(element(sub), value_type, op, value)?),
            })
        }
        Target::Membership => field_compare(Field::Membership, ValueType::Id, op, value),
        Target::ResourceType | Target::Schemas => Err(invalid_filter(
            "filtering on meta.resourceType or schemas is not supported",
        )),
    }
}

fn field_compare(
    field: Field,
    value_type: ValueType,
    op: CompareOp,
    value: &CompValue,
) -> Result<Predicate, WireError> {
    let text = || match value {
        CompValue::String(s) => Ok(s.clone()),
        CompValue::Number(n) => Ok(n.to_string()),
        CompValue::Bool(b) => Ok(b.to_string()),
        CompValue::Null => Err(invalid_filter("null is not a value here")),
    };
    if matches!(value, CompValue::String(s) if s.contains('\0')) {
        return Err(invalid_filter("a value contains a NUL character"));
    }
    let literal = match value_type {
        ValueType::Text => Literal::Text(text()?.to_lowercase()),
        ValueType::ExactText | ValueType::Id => Literal::Text(text()?),
        ValueType::Bool => {
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => {
                    return Err(invalid_filter(
                        "a boolean attribute compares with true or false",
                    ));
                }
            };
            Literal::Bool(b)
        }
        ValueType::Time => {
            let at = DateTime::parse_from_rfc3339(&text()?)
                .map(|at| at.with_timezone(&Utc))
                .ok()
                // Four-digit years only: beyond them, times stop comparing as text on SQLite.
                .filter(|at| (1..=9999).contains(&at.year()))
                .ok_or_else(|| {
                    invalid_filter("a dateTime value must be RFC 3339, e.g. 2026-01-31T09:00:00Z")
                })?;
            Literal::Time(at)
        }
    };
    let allowed = match value_type {
        ValueType::Bool | ValueType::Id => matches!(op, CompareOp::Eq | CompareOp::Ne),
        ValueType::Time => !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew),
        ValueType::Text | ValueType::ExactText => true,
    };
    if !allowed {
        return Err(invalid_filter(format!(
            "operator {op:?} does not apply to this attribute"
        )));
    }
    Ok(Predicate::Compare {
        field,
        op,
        value: literal,
    })
}

/// `attr[filter]`: the inner filter's paths are sub-attributes of `attr`.
fn value_path(
    attr_path: &AttrPath,
    inner: &Filter,
    kind: ResourceKind,
) -> Result<Predicate, WireError> {
    match resolve_path(attr_path, kind)? {
        Target::Multi { attr, sub: None } => Ok(Predicate::AnyElement {
            attr: vec![attr.name.to_owned()],
            inner: Box::new(element_filter(attr, inner)?),
        }),
        Target::Membership => membership_filter(inner),
        _ => Err(invalid_filter(format!(
            "`{attr_path}[…]` needs a multi-valued attribute"
        ))),
    }
}

fn element_filter(attr: &'static Attr, filter: &Filter) -> Result<Predicate, WireError> {
    let sub_of = |path: &AttrPath| {
        if path.urn.is_some() || path.sub.is_some() {
            return None;
        }
        attr.sub_attr(&path.attr)
    };
    let unknown =
        |path: &AttrPath| invalid_filter(format!("`{}` has no sub-attribute `{path}`", attr.name));
    Ok(match filter {
        Filter::And(a, b) => Predicate::And(
            Box::new(element_filter(attr, a)?),
            Box::new(element_filter(attr, b)?),
        ),
        Filter::Or(a, b) => Predicate::Or(
            Box::new(element_filter(attr, a)?),
            Box::new(element_filter(attr, b)?),
        ),
        Filter::Not(inner) => Predicate::Not(Box::new(element_filter(attr, inner)?)),
        Filter::Present(path) => {
            Predicate::Present(element(sub_of(path).ok_or_else(|| unknown(path))?))
        }
        Filter::Compare { path, op, value } => {
            let sub = sub_of(path).ok_or_else(|| unknown(path))?;
            let (_, value_type) = field_kind(sub);
            field_compare(element(sub), value_type, *op, value)?
        }
        Filter::ValuePath { .. } => return Err(invalid_filter("value filters do not nest")),
    })
}

/// `members[value eq "id"]`, `groups[value eq "id" or value eq "id2"]`.
fn membership_filter(filter: &Filter) -> Result<Predicate, WireError> {
    Ok(match filter {
        Filter::And(a, b) => Predicate::And(
            Box::new(membership_filter(a)?),
            Box::new(membership_filter(b)?),
        ),
        Filter::Or(a, b) => Predicate::Or(
            Box::new(membership_filter(a)?),
            Box::new(membership_filter(b)?),
        ),
        Filter::Not(inner) => Predicate::Not(Box::new(membership_filter(inner)?)),
        Filter::Compare { path, op, value }
            if path.attr.eq_ignore_ascii_case("value") && path.sub.is_none() =>
        {
            field_compare(Field::Membership, ValueType::Id, *op, value)?
        }
        _ => return Err(invalid_filter("membership filters compare `value` only")),
    })
}
