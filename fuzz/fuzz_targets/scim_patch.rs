//! A SCIM PATCH body (RFC 7644 §3.5.2) as `PATCH /Users/{id}` and `PATCH /Groups/{id}` meet
//! it: JSON, checked by `parse_patch` (operations, paths, value shapes), then applied in
//! memory to a stored user and a stored group, as the handlers do inside their transaction.
//! Any panic is a bug: a bad PATCH must be a 400, never a crash.

#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use portcullis::domain::directory::{GroupRecord, UserRecord};
use portcullis::scim::patch::{apply_to_group, apply_to_user, parse_patch};
use serde_json::{Map, Value, json};
use uuid::Uuid;

const USER_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00ad);
const GROUP_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A stored user as the store hands it over (the unit tests' Ada).
fn user() -> UserRecord {
    UserRecord {
        id: USER_ID,
        user_name: "ada@example.org".into(),
        external_id: Some("okta-ada".into()),
        active: true,
        attributes: object(json!({
            "active": true,
            "displayName": "Ada Lovelace",
            "title": "Biller",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [
                {"value": "ada@work.example", "type": "work", "primary": true},
                {"value": "ada@home.example", "type": "home"}
            ],
            "phoneNumbers": [{"value": "555-0100", "type": "work"}],
            "addresses": [{"streetAddress": "1 Main St", "type": "work", "primary": true}],
            ENTERPRISE_URN: {"department": "Billing", "employeeNumber": "7",
                             "manager": {"value": "01900000-0000-7000-8000-00000000000a"}}
        })),
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
        version: 1,
        groups: None,
    }
}

fn group() -> GroupRecord {
    GroupRecord {
        id: GROUP_ID,
        display_name: "Billing Desk".into(),
        external_id: None,
        attributes: Map::new(),
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
        version: 1,
        members: Some(vec![USER_ID]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(ops) = parse_patch(&body) else {
        return;
    };
    let _ = apply_to_user(&user(), &ops);
    let _ = apply_to_group(&group(), &ops);
});
