//! Add and replace without a path: each key of the value map is applied as if it were the
//! path, whether plain, dotted or URN-qualified; `id` and read-only keys are tolerated.

use serde_json::json;

use super::{MANAGER_ID, USER_ID, ada, ada_with, patch_ada, refused};
use crate::scim::schema::ENTERPRISE_URN;

#[test]
fn plain_keys_set_their_attributes() {
    for op in ["add", "replace"] {
        let write = patch_ada(json!([{
            "op": op,
            "value": {"displayName": "Ada King", "title": "Front Desk"}
        }]));
        assert_eq!(
            write.attributes,
            ada_with(|doc| {
                doc.insert("displayName".into(), json!("Ada King"));
                doc.insert("title".into(), json!("Front Desk"));
            }),
            "{op}"
        );
    }
}

#[test]
fn keys_in_any_case_land_on_canonical_names() {
    let write = patch_ada(json!([{"op": "replace", "value": {"DisplayName": "Ada King"}}]));
    assert_eq!(write.attributes["displayName"], "Ada King");
    assert!(!write.attributes.contains_key("DisplayName"));
}

#[test]
fn okta_deactivates_with_a_plain_active_key() {
    let write = patch_ada(json!([{"op": "replace", "value": {"active": false}}]));
    assert!(!write.active);
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.insert("active".into(), json!(false));
        })
    );
}

#[test]
fn dotted_keys_set_sub_attributes() {
    for op in ["add", "replace"] {
        let write = patch_ada(json!([{
            "op": op,
            "value": {"name.givenName": "Augusta", "name.honorificPrefix": "Countess"}
        }]));
        assert_eq!(
            write.attributes["name"],
            json!({"givenName": "Augusta", "familyName": "Lovelace", "honorificPrefix": "Countess"}),
            "{op}"
        );
    }
}

#[test]
fn urn_qualified_keys_set_extension_and_core_attributes() {
    for op in ["add", "replace"] {
        let write = patch_ada(json!([{
            "op": op,
            "value": {
                format!("{ENTERPRISE_URN}:department"): "Radiology",
                "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Ada King"
            }
        }]));
        assert_eq!(
            write.attributes,
            ada_with(|doc| {
                doc[ENTERPRISE_URN]["department"] = json!("Radiology");
                doc.insert("displayName".into(), json!("Ada King"));
            }),
            "{op}"
        );
    }
}

#[test]
fn the_extension_key_edits_only_the_attributes_it_lists() {
    let write = patch_ada(json!([{
        "op": "replace",
        "value": {ENTERPRISE_URN: {"department": "Radiology", "notAnAttribute": 1}}
    }]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN],
        json!({"department": "Radiology", "manager": {"value": MANAGER_ID}})
    );
}

#[test]
fn a_complex_value_merges_its_sub_attributes() {
    for op in ["add", "replace"] {
        let write = patch_ada(json!([{"op": op, "value": {"name": {"middleName": "King"}}}]));
        assert_eq!(
            write.attributes["name"],
            json!({"givenName": "Ada", "middleName": "King", "familyName": "Lovelace"}),
            "{op}"
        );
    }
}

#[test]
fn a_multi_valued_value_is_appended_by_add_and_swapped_by_replace() {
    let other = json!({"value": "ada@other.example", "type": "other"});
    let write = patch_ada(json!([{"op": "add", "value": {"emails": [other.clone()]}}]));
    assert_eq!(write.attributes["emails"].as_array().unwrap().len(), 3);
    assert_eq!(write.attributes["emails"][2], other);

    let write = patch_ada(json!([{"op": "replace", "value": {"emails": [other.clone()]}}]));
    assert_eq!(write.attributes["emails"], json!([other]));
}

#[test]
fn external_id_and_user_name_keys_set_their_columns() {
    let write = patch_ada(json!([{
        "op": "replace",
        "value": {"externalId": "entra-9", "userName": "ada@new.example"}
    }]));
    assert_eq!(write.external_id.as_deref(), Some("entra-9"));
    assert_eq!(write.user_name, "ada@new.example");
    assert_eq!(write.attributes, ada().attributes);
}

#[test]
fn the_resources_own_id_is_tolerated() {
    let write = patch_ada(json!([{
        "op": "replace",
        "value": {"id": USER_ID.to_string(), "displayName": "Ada King"}
    }]));
    assert_eq!(write.attributes["displayName"], "Ada King");
}

#[test]
fn another_id_is_refused() {
    assert_eq!(
        refused(
            json!([{"op": "replace", "value": {"id": "01900000-0000-7000-8000-0000000000ff"}}])
        ),
        "mutability"
    );
    assert_eq!(
        refused(json!([{"op": "add", "value": {"ID": 7}}])),
        "mutability"
    );
    // The comparison is on the lowercase text form: the same id in capitals is "another".
    assert_eq!(
        refused(json!([{"op": "replace", "value": {"id": USER_ID.to_string().to_uppercase()}}])),
        "mutability"
    );
}

#[test]
fn read_only_and_unknown_keys_are_ignored() {
    let write = patch_ada(json!([{
        "op": "replace",
        "value": {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "meta": {"version": "W/\"9\""},
            "groups": [{"value": "g"}],
            "password": "hunter2",
            "favouriteColour": "teal",
            "urn:example:custom:2.0:User:badge": "B-1"
        }
    }]));
    assert_eq!(write.attributes, ada().attributes);
}

#[test]
fn a_key_that_is_not_a_path_is_an_invalid_path() {
    // Unknown attributes are ignored, but a key that does not parse as a path is refused.
    assert_eq!(
        refused(json!([{"op": "replace", "value": {"favourite colour": "teal"}}])),
        "invalidPath"
    );
}

#[test]
fn an_extension_key_that_is_not_an_object_is_an_invalid_value() {
    // Null included, though a POST or PUT skips a null extension.
    for value in [json!("Radiology"), json!(null)] {
        assert_eq!(
            refused(json!([{"op": "replace", "value": {ENTERPRISE_URN: value}}])),
            "invalidValue",
            "{value}"
        );
    }
    assert_eq!(
        refused(json!([{"op": "replace", "path": ENTERPRISE_URN, "value": null}])),
        "invalidValue"
    );
}

#[test]
fn clearing_user_name_is_refused() {
    assert_eq!(
        refused(json!([{"op": "replace", "value": {"userName": null}}])),
        "mutability"
    );
}
