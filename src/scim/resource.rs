//! SCIM resources in and out: turning a client's JSON into what we store (canonical attribute
//! names, coerced values, no nulls) and a stored record into the representation we return.
//!
//! Tolerated on input, because real IdPs send it: attribute names in any case (RFC 7643 §2.1);
//! `"True"`/`"False"` strings for booleans; `null` and `""` meaning "unassigned"; a single
//! value wrapped as `[{"value": …}]` (old Entra); `manager` as an object, a bare id string,
//! a one-element array or `{"value": ""}`; numbers where strings are expected (kept as text);
//! read-only attributes (`id`, `meta`, `groups`, `password`) and unknown attributes, which
//! are ignored (RFC 7644 §3.3).

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::schema::{
    self, Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN, GROUP_ATTRS, GROUP_URN, Kind, USER_ATTRS,
    USER_URN,
};
use crate::http::conditional::etag;
use crate::http::errors::WireError;
use crate::store::directory::{GroupRecord, GroupWrite, UserRecord, UserWrite};

/// Which resource a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn core_attrs(self) -> &'static [Attr] {
        match self {
            ResourceKind::User => &USER_ATTRS,
            ResourceKind::Group => &GROUP_ATTRS,
        }
    }

    pub fn core_urn(self) -> &'static str {
        match self {
            ResourceKind::User => USER_URN,
            ResourceKind::Group => GROUP_URN,
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }
}

pub fn invalid_value(detail: impl Into<String>) -> WireError {
    WireError::bad_request(detail).with_scim_type("invalidValue")
}

/// Where a top-level key of a resource document lands.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    Core(&'static Attr),
    /// An attribute of the enterprise extension (users only).
    Enterprise(&'static Attr),
    /// The whole enterprise extension object.
    EnterpriseObject,
    ExternalId,
    /// Read-only, unknown, or not ours: ignored.
    Ignored,
}

/// Resolves a top-level key: plain (`userName`), URN-qualified
/// (`urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:department`) or the
/// extension URN itself. Case-insensitive.
pub fn slot(kind: ResourceKind, key: &str) -> Slot {
    if key.eq_ignore_ascii_case("externalId") {
        return Slot::ExternalId;
    }
    if kind == ResourceKind::User && key.eq_ignore_ascii_case(ENTERPRISE_URN) {
        return Slot::EnterpriseObject;
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("urn:") {
        let Some((urn, name)) = key.rsplit_once(':') else {
            return Slot::Ignored;
        };
        if urn.eq_ignore_ascii_case(kind.core_urn()) {
            return core_slot(kind, name);
        }
        if kind == ResourceKind::User && urn.eq_ignore_ascii_case(ENTERPRISE_URN) {
            return schema::find(&ENTERPRISE_ATTRS, name).map_or(Slot::Ignored, Slot::Enterprise);
        }
        return Slot::Ignored;
    }
    core_slot(kind, key)
}

fn core_slot(kind: ResourceKind, name: &str) -> Slot {
    if name.eq_ignore_ascii_case("externalId") {
        return Slot::ExternalId;
    }
    match schema::find(kind.core_attrs(), name) {
        Some(attr) if attr.is_writable() => Slot::Core(attr),
        Some(_) => Slot::Ignored,
        // Old Entra sends `manager` (and friends) without the extension URN; no enterprise
        // attribute name collides with a core one.
        None if kind == ResourceKind::User => {
            schema::find(&ENTERPRISE_ATTRS, name).map_or(Slot::Ignored, Slot::Enterprise)
        }
        None => Slot::Ignored,
    }
}

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

/// Sets (or, for `None`, clears) a top-level attribute in a stored document.
pub fn put(doc: &mut Map<String, Value>, slot: Slot, value: Option<Value>) {
    let (target, name): (&mut Map<String, Value>, &str) = match slot {
        Slot::Core(attr) => (doc, attr.name),
        Slot::Enterprise(attr) => {
            let ext = doc
                .entry(ENTERPRISE_URN)
                .or_insert_with(|| Value::Object(Map::new()));
            if !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            let Value::Object(ext) = ext else { return };
            match value {
                Some(v) => {
                    ext.insert(attr.name.to_owned(), v);
                }
                None => {
                    ext.remove(attr.name);
                }
            }
            if ext.is_empty() {
                doc.remove(ENTERPRISE_URN);
            }
            return;
        }
        _ => return,
    };
    match value {
        Some(v) => {
            target.insert(name.to_owned(), v);
        }
        None => {
            target.remove(name);
        }
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

/// The ids in a `members` value: objects with `value`, or bare id strings. Ids that are not
/// UUIDs cannot name one of our users and are dropped.
pub fn member_ids(attr: &'static Attr, value: &Value) -> Result<Vec<Uuid>, WireError> {
    let Some(Value::Array(items)) = coerce(attr, value)? else {
        return Ok(Vec::new());
    };
    Ok(items
        .iter()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
        .filter_map(|id| Uuid::try_parse(id).ok())
        .collect())
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

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The user as a SCIM resource; `groups` only when they were loaded and there are some.
pub fn render_user(user: UserRecord, base_url: &str) -> Value {
    let mut schemas = vec![json!(USER_URN)];
    if user.attributes.contains_key(ENTERPRISE_URN) {
        schemas.push(json!(ENTERPRISE_URN));
    }
    // The stored attributes are moved, not copied: a page renders a hundred of them.
    let mut out = user.attributes;
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), json!(user.id));
    if let Some(external_id) = user.external_id {
        out.insert("externalId".into(), Value::String(external_id));
    }
    out.insert("userName".into(), Value::String(user.user_name));
    let groups = user.groups.unwrap_or_default();
    if !groups.is_empty() {
        let groups: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({"value": g.id, "$ref": format!("{base_url}/Groups/{}", g.id),
                       "display": g.display, "type": "direct"})
            })
            .collect();
        out.insert("groups".into(), Value::Array(groups));
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": timestamp(user.created_at),
            "lastModified": timestamp(user.updated_at),
            "location": format!("{base_url}/Users/{}", user.id),
            "version": etag(user.version),
        }),
    );
    Value::Object(out)
}

pub fn render_group(group: &GroupRecord, base_url: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_URN]));
    out.insert("id".into(), json!(group.id));
    if let Some(external_id) = &group.external_id {
        out.insert("externalId".into(), json!(external_id));
    }
    out.insert("displayName".into(), json!(group.display_name));
    for (key, value) in &group.attributes {
        out.insert(key.clone(), value.clone());
    }
    if let Some(members) = &group.members
        && !members.is_empty()
    {
        // No `display`: clients compare members with what they sent, which has none.
        let members: Vec<Value> = members
            .iter()
            .map(
                |id| json!({"value": id, "$ref": format!("{base_url}/Users/{id}"), "type": "User"}),
            )
            .collect();
        out.insert("members".into(), Value::Array(members));
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": timestamp(group.created_at),
            "lastModified": timestamp(group.updated_at),
            "location": format!("{base_url}/Groups/{}", group.id),
            "version": etag(group.version),
        }),
    );
    Value::Object(out)
}
