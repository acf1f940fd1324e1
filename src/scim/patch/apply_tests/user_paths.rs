//! Add, replace and remove with a plain path on single-valued attributes: simple attributes,
//! sub-attributes, URN-qualified enterprise attributes, `externalId`, `active` and `userName`.
//! Multi-valued attributes are in `user_multi_valued.rs`.

use serde_json::{Map, Value, json};

use super::{MANAGER_ID, ada, ada_with, patch, patch_ada};
use crate::domain::directory::UserWrite;
use crate::scim::schema::ENTERPRISE_URN;

fn extension(attributes: &mut Map<String, Value>) -> &mut Value {
    attributes.get_mut(ENTERPRISE_URN).unwrap()
}

#[test]
fn replace_sets_a_simple_attribute() {
    let write = patch_ada(json!([{"op": "replace", "path": "displayName", "value": "Ada King"}]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.insert("displayName".into(), json!("Ada King"));
        })
    );
    assert_eq!(write.user_name, "ada@example.org");
    assert_eq!(write.external_id.as_deref(), Some("okta-ada"));
    assert!(write.active);
}

#[test]
fn add_sets_a_simple_attribute() {
    let write = patch_ada(json!([{"op": "add", "path": "title", "value": "Front Desk"}]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.insert("title".into(), json!("Front Desk"));
        })
    );
}

#[test]
fn remove_drops_a_simple_attribute() {
    let write = patch_ada(json!([{"op": "remove", "path": "displayName"}]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.remove("displayName");
        })
    );
}

#[test]
fn removing_an_absent_attribute_changes_nothing() {
    let write = patch_ada(json!([{"op": "remove", "path": "nickName"}]));
    assert_eq!(write.attributes, ada().attributes);
}

#[test]
fn replace_with_null_clears_but_add_with_null_does_nothing() {
    let replaced = patch_ada(json!([{"op": "replace", "path": "displayName", "value": null}]));
    assert!(!replaced.attributes.contains_key("displayName"));
    let added = patch_ada(json!([{"op": "add", "path": "displayName", "value": ""}]));
    assert_eq!(added.attributes, ada().attributes);
}

#[test]
fn attribute_names_land_on_their_canonical_spelling() {
    let write = patch_ada(json!([{"op": "replace", "path": "DISPLAYNAME", "value": "Ada King"}]));
    assert_eq!(write.attributes["displayName"], "Ada King");
    assert!(!write.attributes.contains_key("DISPLAYNAME"));
}

#[test]
fn a_core_urn_qualified_path_is_the_plain_attribute() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName",
        "value": "Ada King"
    }]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.insert("displayName".into(), json!("Ada King"));
        })
    );
}

#[test]
fn replace_sets_one_sub_attribute_and_keeps_the_rest() {
    let write = patch_ada(json!([{"op": "replace", "path": "name.givenName", "value": "Augusta"}]));
    assert_eq!(
        write.attributes["name"],
        json!({"givenName": "Augusta", "familyName": "Lovelace"})
    );
}

#[test]
fn add_sets_a_sub_attribute_creating_its_parent() {
    let write = patch_ada(json!([{"op": "add", "path": "name.middleName", "value": "King"}]));
    assert_eq!(
        write.attributes["name"],
        json!({"givenName": "Ada", "middleName": "King", "familyName": "Lovelace"})
    );

    let mut nameless = ada();
    nameless.attributes.remove("name");
    let write = patch(
        &nameless,
        json!([{"op": "add", "path": "name.givenName", "value": "Ada"}]),
    )
    .unwrap();
    assert_eq!(write.attributes["name"], json!({"givenName": "Ada"}));
}

#[test]
fn remove_drops_a_sub_attribute_and_an_emptied_parent() {
    let write = patch_ada(json!([{"op": "remove", "path": "name.givenName"}]));
    assert_eq!(write.attributes["name"], json!({"familyName": "Lovelace"}));

    let write = patch_ada(json!([
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "name.familyName"}
    ]));
    assert!(!write.attributes.contains_key("name"));
}

#[test]
fn replace_sets_an_enterprise_attribute_by_its_urn() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": format!("{ENTERPRISE_URN}:department"),
        "value": "Radiology"
    }]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            extension(doc)["department"] = json!("Radiology");
        })
    );
}

#[test]
fn add_sets_an_enterprise_attribute_by_its_urn() {
    let write = patch_ada(json!([{
        "op": "add",
        "path": format!("{ENTERPRISE_URN}:costCenter"),
        "value": "CC-7"
    }]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN],
        json!({"department": "Billing", "costCenter": "CC-7", "manager": {"value": MANAGER_ID}})
    );
}

#[test]
fn remove_drops_an_enterprise_attribute_and_an_emptied_extension() {
    let write =
        patch_ada(json!([{"op": "remove", "path": format!("{ENTERPRISE_URN}:department")}]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN],
        json!({"manager": {"value": MANAGER_ID}})
    );

    let write = patch_ada(json!([
        {"op": "remove", "path": format!("{ENTERPRISE_URN}:department")},
        {"op": "remove", "path": format!("{ENTERPRISE_URN}:manager")}
    ]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.remove(ENTERPRISE_URN);
        })
    );
}

#[test]
fn an_enterprise_sub_attribute_by_its_urn() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": format!("{ENTERPRISE_URN}:manager.value"),
        "value": "m-2"
    }]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN]["manager"],
        json!({"value": "m-2"})
    );
}

#[test]
fn manager_without_the_urn_as_a_bare_id_or_cleared() {
    // Old Entra: no URN, and the id as a plain string.
    let write = patch_ada(json!([{"op": "replace", "path": "manager", "value": "m-3"}]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN]["manager"],
        json!({"value": "m-3"})
    );
    // Entra's "clear the manager": `{"value": ""}` is unassigned.
    let write = patch_ada(json!([{"op": "replace", "path": "manager", "value": {"value": ""}}]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN],
        json!({"department": "Billing"})
    );
}

#[test]
fn the_extension_urn_as_a_path_edits_its_listed_attributes() {
    let write = patch_ada(json!([{
        "op": "add",
        "path": ENTERPRISE_URN,
        "value": {"division": "North", "notAnAttribute": 1}
    }]));
    assert_eq!(
        write.attributes[ENTERPRISE_URN],
        json!({"department": "Billing", "division": "North", "manager": {"value": MANAGER_ID}})
    );

    let write = patch_ada(json!([{"op": "remove", "path": ENTERPRISE_URN}]));
    assert!(!write.attributes.contains_key(ENTERPRISE_URN));
}

#[test]
fn external_id_lives_outside_the_document() {
    let write = patch_ada(json!([{"op": "replace", "path": "externalId", "value": "entra-9"}]));
    assert_eq!(write.external_id.as_deref(), Some("entra-9"));
    assert_eq!(write.attributes, ada().attributes);

    // A number is not a string: refused, never stored as "42".
    assert_eq!(
        super::refused(json!([{"op": "add", "path": "externalId", "value": 42}])),
        "invalidValue"
    );

    let write = patch_ada(json!([{"op": "remove", "path": "externalId"}]));
    assert_eq!(write.external_id, None);
}

#[test]
fn replacing_active_sets_the_column_and_the_document() {
    let write = patch_ada(json!([{"op": "replace", "path": "active", "value": false}]));
    assert!(!write.active);
    assert_eq!(write.attributes["active"], false);

    // Booleans sent as strings, any case.
    let write = patch_ada(json!([{"op": "replace", "path": "active", "value": "False"}]));
    assert!(!write.active);
}

#[test]
fn removing_active_keeps_whether_the_person_works_here() {
    let write = patch_ada(json!([{"op": "remove", "path": "active"}]));
    assert!(!write.attributes.contains_key("active"));
    assert!(write.active);

    let mut leaver = ada();
    leaver.active = false;
    leaver.attributes.insert("active".into(), json!(false));
    let write = patch(&leaver, json!([{"op": "remove", "path": "active"}])).unwrap();
    assert!(!write.attributes.contains_key("active"));
    assert!(!write.active);
}

#[test]
fn replacing_user_name_keeps_it_out_of_the_document() {
    let write =
        patch_ada(json!([{"op": "replace", "path": "userName", "value": "Ada@New.example"}]));
    assert_eq!(write.user_name, "Ada@New.example");
    assert_eq!(write.attributes, ada().attributes);
}

#[test]
fn operations_apply_in_order() {
    let write = patch_ada(json!([
        {"op": "add", "path": "title", "value": "Nurse"},
        {"op": "replace", "path": "title", "value": "Charge Nurse"},
        {"op": "add", "path": "nickName", "value": "Ada"},
        {"op": "remove", "path": "nickName"}
    ]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc.insert("title".into(), json!("Charge Nurse"));
        })
    );
}

#[test]
fn no_operations_change_nothing() {
    let write = patch_ada(json!([]));
    let ada = ada();
    assert_eq!(
        write,
        UserWrite {
            user_name: ada.user_name,
            external_id: ada.external_id,
            active: ada.active,
            attributes: ada.attributes,
        }
    );
}
