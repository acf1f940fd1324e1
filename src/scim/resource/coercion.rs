//! Coercing one client value to what we store: canonical sub-attribute names, no nulls, and
//! strings the store can keep. Leniency goes exactly as far as real IdPs need (SCIM.md): the
//! boolean strings `"True"`/`"False"` (C11), a reference given bare (`manager: "id"`, a single
//! member object or id; X2, P5), a single reference wrapped in a one-element array (X2), and a
//! single value wrapped as `[{"value": …}]` (old Entra, P9). Anything else of the wrong type
//! (a number for a string, `emails: "x"`, `title: ["x"]`) is refused with `invalidValue`
//! rather than guessed at.

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
            // One element where the list belongs: a PATCH `add` of one email object, a
            // member id. A bare string for anything but a reference is refused below.
            other @ (Value::Object(_) | Value::String(_)) => vec![other],
            _ => {
                return Err(invalid_value(format!("`{}` must be an array", attr.name)));
            }
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

/// A complex attribute that refers to another resource (`manager`, `members`): the only kind
/// whose value real IdPs send bare (an id string, or one object where an array belongs).
fn is_reference(attr: &Attr) -> bool {
    attr.kind == Kind::Complex && attr.sub_attr("$ref").is_some()
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
        Value::String(_) if is_reference(attr) => {
            return coerce_complex(attr, &json!({"value": value}));
        }
        // `manager: [{...}]`: a single reference wrapped in an array.
        Value::Array(items) if !attr.multi && is_reference(attr) && items.len() <= 1 => {
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
        // `[]` is unassigned (C6); old Entra sends `[{"$ref": null, "value": "x"}]` for a
        // single value (P9). A bare `["x"]` is not a single value.
        (_, Value::Array(items)) if items.is_empty() => Ok(None),
        (_, Value::Array(items)) if items.len() == 1 && is_value_wrapper(&items[0]) => {
            coerce_simple(attr, items[0].get("value").unwrap_or(&Value::Null))
        }
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

/// Old Entra's wrapper of a single value: `{"value": …}`, with at most a `$ref` beside it.
fn is_value_wrapper(item: &Value) -> bool {
    item.as_object()
        .is_some_and(|o| o.contains_key("value") && o.keys().all(|k| k == "value" || k == "$ref"))
}

/// A single string value (`externalId`, a group's `displayName`), tolerating old Entra's
/// `[{"value": …}]` wrapper; a number or any other type is refused.
pub fn text(value: &Value, name: &str) -> Result<Option<String>, WireError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => checked(s, MAX_KEY_BYTES, name).map(Some),
        Value::Array(items) if items.is_empty() => Ok(None),
        Value::Array(items) if items.len() == 1 && is_value_wrapper(&items[0]) => {
            text(items[0].get("value").unwrap_or(&Value::Null), name)
        }
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
