//! A stored user or group rendered as the SCIM resource we return, with its `meta`.

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use crate::domain::directory::{GroupRecord, UserRecord};
use crate::http::conditional::etag;
use crate::scim::schema::{ENTERPRISE_URN, GROUP_URN, USER_URN};

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
