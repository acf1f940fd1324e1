//! Editing the elements of a multi-valued attribute that a value filter selects
//! (`emails[type eq "work"]`, `emails[type eq "work"].value`), creating the element the
//! filter describes when an add or replace matches nothing.

use serde_json::{Map, Value};

use super::sub_attribute::set_sub;
use super::value_filter::{element_matches, upsert_seed};
use crate::domain::query::Filter;
use crate::http::errors::WireError;
use crate::scim::patch::{OpKind, error};
use crate::scim::resource::coerce;
use crate::scim::schema::{Attr, Kind};

/// `emails[type eq "work"]` and `emails[type eq "work"].value`.
pub(super) fn edit_matching(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    kind: OpKind,
    filter: &Filter,
    sub_name: Option<&str>,
    value: Option<&Value>,
) -> Result<(), WireError> {
    if !attr.multi || attr.kind != Kind::Complex {
        return Err(error(
            "invalidPath",
            format!("`{}` is not multi-valued", attr.name),
        ));
    }
    let sub = match sub_name {
        Some(s) => Some(attr.sub_attr(s).ok_or_else(|| {
            error(
                "invalidPath",
                format!("`{}` has no sub-attribute `{s}`", attr.name),
            )
        })?),
        None => None,
    };
    let mut items = match map.remove(attr.name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut matched = false;
    let mut kept = Vec::with_capacity(items.len());
    for mut item in items.drain(..) {
        if !element_matches(attr, &item, filter)? {
            kept.push(item);
            continue;
        }
        matched = true;
        match (kind, sub) {
            (OpKind::Remove, None) => {}
            (OpKind::Remove, Some(sub)) => {
                set_sub(&mut item, sub, None);
                if item.as_object().is_some_and(|o| !o.is_empty()) {
                    kept.push(item);
                }
            }
            (_, Some(sub)) => {
                set_sub(&mut item, sub, coerce(sub, value.unwrap_or(&Value::Null))?);
                kept.push(item);
            }
            (_, None) => {
                if let Some(Value::Object(new)) = coerce_one(attr, value)?
                    && let Value::Object(existing) = &mut item
                {
                    existing.extend(new);
                }
                kept.push(item);
            }
        }
    }
    if !matched && kind != OpKind::Remove {
        // Entra replaces `emails[type eq "work"].value` on users without a work e-mail: create
        // the element the filter describes.
        let mut element = upsert_seed(attr, filter).ok_or_else(|| {
            error(
                "noTarget",
                format!("no `{}` value matches the filter", attr.name),
            )
        })?;
        match sub {
            Some(sub) => {
                let new = coerce(sub, value.unwrap_or(&Value::Null))?;
                if new.is_none() {
                    return restore(map, attr, kept);
                }
                set_sub(&mut element, sub, new);
            }
            None => {
                if let Some(Value::Object(new)) = coerce_one(attr, value)?
                    && let Value::Object(existing) = &mut element
                {
                    existing.extend(new);
                }
            }
        }
        kept.push(element);
    }
    restore(map, attr, kept)
}

fn restore(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    items: Vec<Value>,
) -> Result<(), WireError> {
    if !items.is_empty() {
        // Re-coerce so "at most one primary" still holds after the edit.
        if let Some(v) = coerce(attr, &Value::Array(items))? {
            map.insert(attr.name.to_owned(), v);
        }
    }
    Ok(())
}

/// One element's worth of value, whether sent as an object or a one-element array.
fn coerce_one(attr: &'static Attr, value: Option<&Value>) -> Result<Option<Value>, WireError> {
    match coerce(attr, value.unwrap_or(&Value::Null))? {
        Some(Value::Array(mut items)) if !items.is_empty() => Ok(Some(items.swap_remove(0))),
        _ => Ok(None),
    }
}
