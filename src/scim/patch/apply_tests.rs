//! `apply_to_user` and `apply_to_group`, driven through `parse_patch` as a request would be:
//! fixtures and helpers here, the cases by theme in `apply_tests/`.

mod groups;
mod user_errors;
mod user_multi_valued;
mod user_paths;
mod user_value_filters;
mod user_without_path;

use chrono::DateTime;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{PATCH_OP_URN, apply_to_group, apply_to_user, parse_patch};
use crate::domain::directory::{GroupRecord, GroupWrite, MembersChange, UserRecord, UserWrite};
use crate::http::errors::WireError;
use crate::scim::schema::ENTERPRISE_URN;

const USER_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00ad);
const GROUP_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
const MANAGER_ID: &str = "01900000-0000-7000-8000-00000000000a";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A stored user as the store hands it over: `userName` in its column, not the document;
/// `active` in both.
fn ada() -> UserRecord {
    UserRecord {
        id: USER_ID,
        user_name: "ada@example.org".into(),
        external_id: Some("okta-ada".into()),
        active: true,
        attributes: object(json!({
            "active": true,
            "displayName": "Ada Lovelace",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [
                {"value": "ada@work.example", "type": "work", "primary": true},
                {"value": "ada@home.example", "type": "home"}
            ],
            ENTERPRISE_URN: {"department": "Billing", "manager": {"value": MANAGER_ID}}
        })),
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
        version: 1,
        groups: None,
    }
}

/// Ada's stored document with `changes` applied: what most successful patches expect.
fn ada_with(changes: impl FnOnce(&mut Map<String, Value>)) -> Map<String, Value> {
    let mut attributes = ada().attributes;
    changes(&mut attributes);
    attributes
}

fn ops(operations: Value) -> Vec<super::PatchOp> {
    parse_patch(&json!({"schemas": [PATCH_OP_URN], "Operations": operations})).unwrap()
}

fn patch(user: &UserRecord, operations: Value) -> Result<UserWrite, WireError> {
    apply_to_user(user, &ops(operations))
}

fn patch_ada(operations: Value) -> UserWrite {
    patch(&ada(), operations).unwrap()
}

/// The `scimType` a patch of Ada is refused with; every PATCH error is a 400.
fn refused(operations: Value) -> &'static str {
    let error = patch(&ada(), operations.clone()).unwrap_err();
    assert_eq!(error.status, 400, "{operations}");
    error.scim_type.unwrap()
}

fn nurses() -> GroupRecord {
    GroupRecord {
        id: GROUP_ID,
        display_name: "Nurses".into(),
        external_id: None,
        attributes: Map::new(),
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
        version: 1,
        members: None,
    }
}

fn patch_group(operations: Value) -> Result<(GroupWrite, MembersChange), WireError> {
    apply_to_group(&nurses(), &ops(operations))
}
