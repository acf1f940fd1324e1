//! Patches of a user that are refused, and the `scimType` each gets.

use serde_json::json;

use super::{ada, patch, refused};
use crate::scim::schema::ENTERPRISE_URN;

#[test]
fn user_name_cannot_be_removed_or_cleared() {
    assert_eq!(
        refused(json!([{"op": "remove", "path": "userName"}])),
        "mutability"
    );
    for value in [json!(""), json!(null)] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": "userName", "value": value}])),
            "mutability"
        );
    }
}

#[test]
fn read_only_paths_are_refused() {
    for path in [
        "id",
        "ID",
        "groups",
        "meta",
        "meta.version",
        "schemas",
        "password",
    ] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": path, "value": "x"}])),
            "mutability",
            "{path}"
        );
    }
}

#[test]
fn unknown_paths_are_invalid() {
    for path in [
        "nosuch",
        "members",
        "urn:example:custom:2.0:User:badge",
        "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    ] {
        assert_eq!(
            refused(json!([{"op": "add", "path": path, "value": "x"}])),
            "invalidPath",
            "{path}"
        );
    }
    // Paths are resolved even for a remove.
    assert_eq!(
        refused(json!([{"op": "remove", "path": "nosuch"}])),
        "invalidPath"
    );
}

#[test]
fn unknown_sub_attributes_are_invalid_paths() {
    for path in [
        "name.nope",
        "displayName.value",
        "externalId.value",
        "emails.nope",
    ] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": path, "value": "x"}])),
            "invalidPath",
            "{path}"
        );
    }
    assert_eq!(
        refused(
            json!([{"op": "replace", "path": format!("{ENTERPRISE_URN}:manager.nope"), "value": "x"}])
        ),
        "invalidPath"
    );
}

#[test]
fn ill_typed_values_are_invalid() {
    for (path, value) in [
        ("active", json!("maybe")),
        ("active", json!(3)),
        ("displayName", json!({"text": "Ada"})),
        ("displayName", json!(true)),
        ("name", json!("Ada Lovelace")),
        ("name.givenName", json!(["Ada", "Augusta"])),
        ("emails", json!(42)),
        ("externalId", json!({"value": "x"})),
    ] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": path, "value": value}])),
            "invalidValue",
            "{path}: {value}"
        );
    }
}

#[test]
fn a_refused_operation_fails_the_whole_patch() {
    let result = patch(
        &ada(),
        json!([
            {"op": "replace", "path": "title", "value": "Should Not Stick"},
            {"op": "replace", "path": "active", "value": false},
            {"op": "remove", "path": "userName"}
        ]),
    );
    assert_eq!(result.unwrap_err().scim_type, Some("mutability"));
}
