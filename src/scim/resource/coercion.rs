//! Coercing one client value to what we store: canonical sub-attribute names, booleans from
//! strings, unwrapped single values, no nulls, and strings the store can keep.

use serde_json::{Map, Value, json};

use super::invalid_value;
use crate::http::errors::WireError;
use crate::scim::schema::{Attr, Kind};

/// Coerces a value for `attr`. `Ok(None)` means unassigned (null, "", [], {}).
pub fn coerce(attr: &'static Attr, value: &Value) -> Result<Option<Value>, WireError> {
    if attr.multi {
        let items: Vec<&Value> = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::with_capacity(items.len());
        let mut seen_primary = false;
        for item in items {
            if let Some(mut element) = coerce_element(attr, item)? {
                // At most one primary (RFC 7643 §2.4): the first one wins.
                if element.get("primary") == Some(&Value::Bool(true)) {
                    if seen_primary {
                        element["primary"] = Value::Bool(false);
                    }
                    seen_primary = true;
                }
                out.push(element);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    coerce_element(attr, value)
}

/// One value of `attr` (an element, for multi-valued attributes).
fn coerce_element(attr: &'static Attr, value: &Value) -> Result<Option<Value>, WireError> {
    match attr.kind {
        Kind::Complex => coerce_complex(attr, value),
        _ => coerce_simple(attr, value),
    }
}

fn coerce_complex(attr: &'static Attr, value: &Value) -> Result<Option<Value>, WireError> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.is_empty() => return Ok(None),
        // `manager: "id"` and `members: ["id"]`: the bare value.
        Value::String(_) if attr.sub_attr("value").is_some() => {
            return coerce_complex(attr, &json!({"value": value}));
        }
        // `manager: [{...}]`: a single complex value wrapped in an array.
        Value::Array(items) if !attr.multi && items.len() <= 1 => {
            return match items.first() {
                Some(item) => coerce_complex(attr, item),
                None => Ok(None),
            };
        }
        Value::Object(object) => object,
        _ => {
            return Err(invalid_value(format!("`{}` must be an object", attr.name)));
        }
    };
    let mut out = Map::new();
    for (key, item) in object {
        let Some(sub) = attr.sub_attr(key) else {
            continue;
        };
        if !sub.is_writable() {
            continue;
        }
        if let Some(v) = coerce_simple(sub, item)? {
            out.insert(sub.name.to_owned(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn coerce_simple(attr: &'static Attr, value: &Value) -> Result<Option<Value>, WireError> {
    match (attr.kind, value) {
        (_, Value::Null) => Ok(None),
        // Old Entra: `[{"$ref": null, "value": "x"}]` for a single value.
        (_, Value::Array(items)) if items.len() <= 1 => match items.first() {
            Some(Value::Object(o)) => coerce_simple(attr, o.get("value").unwrap_or(&Value::Null)),
            Some(other) => coerce_simple(attr, other),
            None => Ok(None),
        },
        (Kind::Boolean, Value::Bool(b)) => Ok(Some(Value::Bool(*b))),
        (Kind::Boolean, Value::String(s)) if s.is_empty() => Ok(None),
        (Kind::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => Err(invalid_value(format!(
                "`{}` must be true or false",
                attr.name
            ))),
        },
        (Kind::String | Kind::Reference | Kind::DateTime, Value::String(s)) if s.is_empty() => {
            Ok(None)
        }
        (Kind::String | Kind::Reference | Kind::DateTime, Value::String(s)) => {
            let max = if attr.unique {
                MAX_KEY_BYTES
            } else {
                MAX_VALUE_BYTES
            };
            Ok(Some(Value::String(checked(s, max, attr.name)?)))
        }
        (Kind::String | Kind::Reference, Value::Number(n)) => {
            Ok(Some(Value::String(n.to_string())))
        }
        _ => Err(invalid_value(format!(
            "`{}` must be a {}",
            attr.name,
            match attr.kind {
                Kind::Boolean => "boolean",
                _ => "string",
            }
        ))),
    }
}

/// A single string value (`externalId`), tolerating old Entra's `[{"value": …}]` wrapper.
pub fn text(value: &Value, name: &str) -> Result<Option<String>, WireError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => checked(s, MAX_KEY_BYTES, name).map(Some),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Array(items) if items.len() <= 1 => match items.first() {
            Some(Value::Object(o)) => text(o.get("value").unwrap_or(&Value::Null), name),
            Some(other) => text(other, name),
            None => Ok(None),
        },
        _ => Err(invalid_value(format!("`{name}` must be a string"))),
    }
}

/// Longest identifier-like value (userName, externalId, group displayName), in bytes: they
/// are indexed, and an index entry has a size limit on PostgreSQL.
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest other string value, in bytes.
pub const MAX_VALUE_BYTES: usize = 8192;

/// A string value the store can keep: no NUL (PostgreSQL refuses it), bounded length.
pub fn checked(s: &str, max: usize, name: &str) -> Result<String, WireError> {
    if s.contains('\0') {
        return Err(invalid_value(format!("`{name}` contains a NUL character")));
    }
    if s.len() > max {
        return Err(invalid_value(format!(
            "`{name}` is longer than {max} bytes"
        )));
    }
    Ok(s.to_owned())
}
