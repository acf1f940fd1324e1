//! Editing one attribute of a document by a plain path: the attribute as a whole
//! (`displayName`, `emails`) or a sub-attribute (`name.givenName`, every element's
//! `emails.value`). Paths with a value filter go on to `edit_matching.rs`.

use serde_json::{Map, Value};

use super::edit_matching::edit_matching;
use super::sub_attribute::set_sub;
use crate::http::errors::WireError;
use crate::scim::filter::PatchPath;
use crate::scim::patch::{OpKind, error};
use crate::scim::resource::coerce;
use crate::scim::schema::{Attr, Kind};

/// Edits `attr` inside `map` according to the operation.
pub(super) fn edit(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), WireError> {
    let name = attr.name;
    if let Some(filter) = &path.filter {
        return edit_matching(map, attr, kind, filter, path.sub.as_deref(), value);
    }
    if let Some(sub_name) = &path.attr.sub {
        let sub = attr
            .sub_attr(sub_name)
            .filter(|_| attr.kind == Kind::Complex)
            .ok_or_else(|| {
                error(
                    "invalidPath",
                    format!("`{name}` has no sub-attribute `{sub_name}`"),
                )
            })?;
        return edit_sub_everywhere(map, attr, sub, kind, value);
    }
    if kind == OpKind::Remove && attr.required {
        return Err(error(
            "mutability",
            format!("`{name}` is required and cannot be removed"),
        ));
    }
    match kind {
        OpKind::Remove => match value.filter(|v| !v.is_null() && attr.multi) {
            // Remove-with-value on a multi-valued attribute: only the listed values.
            Some(listed) => {
                let Some(Value::Array(listed)) = coerce(attr, listed)? else {
                    return Ok(());
                };
                if let Some(Value::Array(items)) = map.get_mut(name) {
                    items.retain(|item| !listed.iter().any(|l| same_element(item, l)));
                    if items.is_empty() {
                        map.remove(name);
                    }
                }
            }
            None => {
                map.remove(name);
            }
        },
        OpKind::Add | OpKind::Replace => {
            let coerced = coerce(attr, value.unwrap_or(&Value::Null))?;
            match (coerced, attr.multi, attr.kind) {
                (None, _, _) if kind == OpKind::Replace => {
                    if attr.required {
                        return Err(error("mutability", format!("`{name}` is required")));
                    }
                    map.remove(name);
                }
                (None, _, _) => {}
                (Some(Value::Array(new)), true, _) if kind == OpKind::Add => {
                    let items = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = items {
                        for element in new {
                            // Adding a value that exists is a no-op (RFC 7644 §3.5.2.1).
                            if !items.iter().any(|i| same_element(i, &element)) {
                                items.push(element);
                            }
                        }
                    }
                }
                // Complex single value: the given sub-attributes replace, the rest stay.
                (Some(Value::Object(new)), false, Kind::Complex) => {
                    let existing = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
                    match existing {
                        Value::Object(existing) => existing.extend(new),
                        other => *other = Value::Object(new),
                    }
                }
                (Some(v), _, _) => {
                    map.insert(name.to_owned(), v);
                }
            }
        }
    }
    Ok(())
}

/// `name.givenName`, `manager.value`, or `emails.value` (every element).
fn edit_sub_everywhere(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    sub: &'static Attr,
    kind: OpKind,
    value: Option<&Value>,
) -> Result<(), WireError> {
    let new = match kind {
        OpKind::Remove => None,
        _ => coerce(sub, value.unwrap_or(&Value::Null))?,
    };
    if attr.multi {
        if let Some(Value::Array(items)) = map.get_mut(attr.name) {
            for item in items.iter_mut() {
                set_sub(item, sub, new.clone());
            }
            items.retain(|i| i.as_object().is_some_and(|o| !o.is_empty()));
        }
    } else {
        let entry = map
            .entry(attr.name)
            .or_insert_with(|| Value::Object(Map::new()));
        set_sub(entry, sub, new);
    }
    if matches!(map.get(attr.name), Some(Value::Object(o)) if o.is_empty())
        || matches!(map.get(attr.name), Some(Value::Array(a)) if a.is_empty())
    {
        map.remove(attr.name);
    }
    Ok(())
}

/// Whether `listed` names the same value as `existing`: equal `value` sub-attributes
/// (case-insensitively) and, when `listed` has a `type`, equal types; without a `value`,
/// plain equality.
fn same_element(existing: &Value, listed: &Value) -> bool {
    let key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_lowercase);
    match (key(existing, "value"), key(listed, "value")) {
        (Some(a), Some(b)) => {
            a == b && (listed.get("type").is_none() || key(existing, "type") == key(listed, "type"))
        }
        _ => existing == listed,
    }
}
