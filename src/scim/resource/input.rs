//! A client's POST or PUT body read into the user or group we store, and the member ids a
//! `members` value names.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{ResourceKind, Slot, coerce, invalid_value, put, slot, text};
use crate::domain::directory::{GroupWrite, UserWrite};
use crate::http::errors::WireError;
use crate::scim::schema::{self, Attr, ENTERPRISE_ATTRS};

/// RFC 7643 §3: a resource names its schemas, and the core one must be among them (a body
/// like `{"not": "a scim resource"}` is refused rather than stored).
fn require_core_schema(object: &Map<String, Value>, kind: ResourceKind) -> Result<(), WireError> {
    let schemas = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v);
    let names_core = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(kind.core_urn()))
    };
    match schemas {
        Some(Value::Array(list)) if list.iter().any(names_core) => Ok(()),
        _ => Err(invalid_value(format!(
            "`schemas` must include {}",
            kind.core_urn()
        ))),
    }
}

/// A user document from a POST or PUT body. `active` is stored in the document like any
/// attribute; when a PUT omits it, the current value is kept (so a client that leaves it out
/// never deactivates or reactivates anyone), and a new user is active unless told otherwise.
pub fn user_from_json(body: &Value, current_active: Option<bool>) -> Result<UserWrite, WireError> {
    let object = body.as_object().ok_or_else(|| {
        WireError::bad_request("the body must be a JSON object").with_scim_type("invalidSyntax")
    })?;
    require_core_schema(object, ResourceKind::User)?;
    let mut doc = Map::new();
    let mut external_id = None;
    let mut active = None;
    for (key, value) in object {
        match slot(ResourceKind::User, key) {
            Slot::ExternalId => external_id = text(value, "externalId")?,
            Slot::EnterpriseObject => {
                let Some(ext) = value.as_object() else {
                    if value.is_null() {
                        continue;
                    }
                    return Err(invalid_value("the enterprise extension must be an object"));
                };
                for (name, v) in ext {
                    if let Some(attr) = schema::find(&ENTERPRISE_ATTRS, name) {
                        put(&mut doc, Slot::Enterprise(attr), coerce(attr, v)?);
                    }
                }
            }
            Slot::Core(attr) if attr.name == "active" => {
                active = coerce(attr, value)?.and_then(|v| v.as_bool());
            }
            slot @ (Slot::Core(attr) | Slot::Enterprise(attr)) => {
                put(&mut doc, slot, coerce(attr, value)?);
            }
            Slot::Ignored => {}
        }
    }
    let user_name = match doc.remove("userName") {
        Some(Value::String(name)) => name,
        _ => return Err(invalid_value("`userName` is required")),
    };
    let active = active.or(current_active).unwrap_or(true);
    doc.insert("active".into(), Value::Bool(active));
    Ok(UserWrite {
        user_name,
        external_id,
        active,
        attributes: doc,
    })
}

/// A group document from a POST or PUT body, and the member ids it lists (`None` when it has
/// no `members` key: a PUT without members keeps them, since clients that read groups with
/// `excludedAttributes=members` write them back that way).
pub fn group_from_json(body: &Value) -> Result<(GroupWrite, Option<Vec<Uuid>>), WireError> {
    let object = body.as_object().ok_or_else(|| {
        WireError::bad_request("the body must be a JSON object").with_scim_type("invalidSyntax")
    })?;
    require_core_schema(object, ResourceKind::Group)?;
    let mut doc = Map::new();
    let mut external_id = None;
    let mut members = None;
    for (key, value) in object {
        match slot(ResourceKind::Group, key) {
            Slot::ExternalId => external_id = text(value, "externalId")?,
            Slot::Core(attr) if attr.name == "members" => members = Some(member_ids(attr, value)?),
            slot @ Slot::Core(attr) => put(&mut doc, slot, coerce(attr, value)?),
            _ => {}
        }
    }
    let display_name = match doc.remove("displayName") {
        Some(Value::String(name)) => name,
        _ => return Err(invalid_value("`displayName` is required")),
    };
    Ok((
        GroupWrite {
            display_name,
            external_id,
            attributes: doc,
        },
        members,
    ))
}

/// The ids in a `members` value: an array of objects with `value` or of bare id strings, or
/// one such object or id alone (SCIM.md P5: MS's "Group patch add member" sends `"value":
/// "id"`). The shape and every id are checked before anything else: an ill-typed value or an
/// id that cannot name a user here is refused, never read as "no members" (a PUT or a replace
/// would empty the group).
pub fn member_ids(attr: &'static Attr, value: &Value) -> Result<Vec<Uuid>, WireError> {
    let shape = "`members` must be an array of objects, each with a string `value` (a user id)";
    let items: Vec<&Value> = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items.iter().collect(),
        one @ (Value::Object(_) | Value::String(_)) => vec![one],
        _ => return Err(invalid_value(shape)),
    };
    for item in &items {
        let member_value = match item {
            Value::String(_) => Some(*item),
            Value::Object(object) => object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case("value"))
                .map(|(_, v)| v),
            _ => None,
        };
        match member_value.and_then(Value::as_str) {
            Some(id) if Uuid::try_parse(id).is_ok() => {}
            Some(_) => {
                return Err(invalid_value(
                    "a `members` value is not the id of a user here (ids are UUIDs)",
                ));
            }
            None => return Err(invalid_value(shape)),
        }
    }
    let Some(Value::Array(items)) =
        coerce(attr, &Value::Array(items.into_iter().cloned().collect()))?
    else {
        return Ok(Vec::new());
    };
    Ok(items
        .iter()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
        .filter_map(|id| Uuid::try_parse(id).ok())
        .collect())
}
