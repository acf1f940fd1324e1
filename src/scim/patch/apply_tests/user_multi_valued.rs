//! Multi-valued attributes by a plain path (`emails`, `emails.type`): add appends what is new,
//! replace swaps the list, remove drops everything or only the listed values.

use serde_json::json;

use super::{ada, patch_ada};

#[test]
fn a_sub_attribute_of_a_multi_valued_attribute_edits_every_element() {
    let write = patch_ada(json!([{"op": "replace", "path": "emails.type", "value": "other"}]));
    assert_eq!(
        write.attributes["emails"],
        json!([
            {"value": "ada@work.example", "type": "other", "primary": true},
            {"value": "ada@home.example", "type": "other"}
        ])
    );
    let write = patch_ada(json!([{"op": "remove", "path": "emails.primary"}]));
    assert_eq!(
        write.attributes["emails"],
        json!([
            {"value": "ada@work.example", "type": "work"},
            {"value": "ada@home.example", "type": "home"}
        ])
    );
}

#[test]
fn a_sub_attribute_of_an_absent_multi_valued_attribute_creates_nothing() {
    // There is no element to edit, and none is made.
    let write = patch_ada(json!([{"op": "add", "path": "phoneNumbers.value", "value": "555"}]));
    assert_eq!(write.attributes, ada().attributes);
}

#[test]
fn add_appends_new_elements_and_skips_existing_ones() {
    let write = patch_ada(json!([{
        "op": "add",
        "path": "emails",
        "value": [
            {"value": "ADA@WORK.example", "type": "work"},
            {"value": "ada@home.example"},
            {"value": "ada@other.example", "type": "other"}
        ]
    }]));
    assert_eq!(
        write.attributes["emails"],
        json!([
            {"value": "ada@work.example", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home"},
            {"value": "ada@other.example", "type": "other"}
        ])
    );
}

#[test]
fn add_does_not_enforce_one_primary_across_old_and_new_elements() {
    // Only the added values are checked against each other, so Ada ends up with two primaries.
    let write = patch_ada(json!([{
        "op": "add",
        "path": "emails",
        "value": {"value": "ada@new.example", "primary": true}
    }]));
    let primaries = write.attributes["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .count();
    assert_eq!(primaries, 2);
}

#[test]
fn replace_swaps_a_whole_multi_valued_attribute() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "emails",
        "value": [{"value": "ada@only.example", "type": "work"}]
    }]));
    assert_eq!(
        write.attributes["emails"],
        json!([{"value": "ada@only.example", "type": "work"}])
    );
}

#[test]
fn remove_with_a_value_list_drops_only_the_listed_elements() {
    let write = patch_ada(json!([{
        "op": "remove",
        "path": "emails",
        "value": [{"value": "Ada@Home.example"}]
    }]));
    assert_eq!(
        write.attributes["emails"],
        json!([{"value": "ada@work.example", "type": "work", "primary": true}])
    );

    // A listed type must match too.
    let write = patch_ada(json!([{
        "op": "remove",
        "path": "emails",
        "value": [{"value": "ada@home.example", "type": "work"}]
    }]));
    assert_eq!(write.attributes, ada().attributes);

    let write = patch_ada(json!([{
        "op": "remove",
        "path": "emails",
        "value": [{"value": "ada@home.example"}, {"value": "ada@work.example"}]
    }]));
    assert!(!write.attributes.contains_key("emails"));
}

#[test]
fn remove_without_a_value_drops_every_element() {
    let write = patch_ada(json!([{"op": "remove", "path": "emails"}]));
    assert!(!write.attributes.contains_key("emails"));
}

#[test]
fn remove_with_a_value_on_a_single_valued_attribute_ignores_the_value() {
    let write =
        patch_ada(json!([{"op": "remove", "path": "displayName", "value": "Someone Else"}]));
    assert!(!write.attributes.contains_key("displayName"));
}
