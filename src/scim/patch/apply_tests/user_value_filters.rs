//! Paths with a value filter (`emails[type eq "work"]`, `emails[type eq "work"].value`): the
//! elements they select, the element a replace creates when none matches, and removes that
//! match nothing.

use serde_json::json;

use super::{ada, ada_with, patch, patch_ada, refused};
use crate::domain::directory::UserRecord;

/// Ada without any e-mail address.
fn ada_without_emails() -> UserRecord {
    let mut user = ada();
    user.attributes.remove("emails");
    user
}

#[test]
fn replace_sets_a_sub_attribute_of_the_matching_element() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "emails[type eq \"work\"].value",
        "value": "ada@new-work.example"
    }]));
    assert_eq!(
        write.attributes,
        ada_with(|doc| {
            doc["emails"][0]["value"] = json!("ada@new-work.example");
        })
    );
}

#[test]
fn add_with_a_filter_sets_the_sub_attribute_like_replace() {
    let write = patch_ada(json!([{
        "op": "add",
        "path": "emails[type eq \"home\"].display",
        "value": "Home"
    }]));
    assert_eq!(
        write.attributes["emails"][1],
        json!({"value": "ada@home.example", "type": "home", "display": "Home"})
    );
}

#[test]
fn filters_compare_strings_case_insensitively() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "emails[TYPE eq \"WORK\"].value",
        "value": "ada@new-work.example"
    }]));
    assert_eq!(
        write.attributes["emails"][0]["value"],
        "ada@new-work.example"
    );
}

#[test]
fn replace_without_a_sub_attribute_merges_into_the_matching_element() {
    for value in [json!({"display": "Work"}), json!([{"display": "Work"}])] {
        let write = patch_ada(json!([{
            "op": "replace",
            "path": "emails[type eq \"work\"]",
            "value": value
        }]));
        assert_eq!(
            write.attributes["emails"],
            json!([
                {"value": "ada@work.example", "type": "work", "primary": true, "display": "Work"},
                {"value": "ada@home.example", "type": "home"}
            ])
        );
    }
}

#[test]
fn remove_drops_the_matching_elements() {
    let write = patch_ada(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
    assert_eq!(
        write.attributes["emails"],
        json!([{"value": "ada@work.example", "type": "work", "primary": true}])
    );

    let write = patch_ada(json!([{
        "op": "remove",
        "path": "emails[type eq \"home\" or value ew \"@work.example\"]"
    }]));
    assert!(!write.attributes.contains_key("emails"));

    let write = patch_ada(json!([{"op": "remove", "path": "emails[not (type eq \"work\")]"}]));
    assert_eq!(write.attributes["emails"].as_array().unwrap().len(), 1);
    assert_eq!(write.attributes["emails"][0]["type"], "work");
}

#[test]
fn remove_with_a_sub_attribute_drops_it_and_an_emptied_element() {
    let write = patch_ada(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    assert_eq!(
        write.attributes["emails"][0],
        json!({"value": "ada@work.example", "type": "work"})
    );

    let mut user = ada();
    user.attributes.insert(
        "emails".into(),
        json!([{"value": "a@x.example"}, {"value": "b@x.example"}]),
    );
    let write = patch(
        &user,
        json!([{"op": "remove", "path": "emails[value eq \"a@x.example\"].value"}]),
    )
    .unwrap();
    assert_eq!(
        write.attributes["emails"],
        json!([{"value": "b@x.example"}])
    );
}

#[test]
fn replace_whose_filter_matches_nothing_creates_the_element() {
    // Entra: `emails[type eq "work"].value` on a user without a work e-mail.
    let write = patch(
        &ada_without_emails(),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "w@x.example"}]),
    )
    .unwrap();
    assert_eq!(
        write.attributes["emails"],
        json!([{"type": "work", "value": "w@x.example"}])
    );

    // Beside the elements that did not match, at the end.
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "emails[type eq \"other\"].value",
        "value": "o@x.example"
    }]));
    assert_eq!(
        write.attributes["emails"][2],
        json!({"type": "other", "value": "o@x.example"})
    );
}

#[test]
fn the_created_element_carries_every_term_of_an_and_filter() {
    let write = patch_ada(json!([{
        "op": "add",
        "path": "phoneNumbers[type eq \"work\" and primary eq true].value",
        "value": "+44 20 7946 0000"
    }]));
    assert_eq!(
        write.attributes["phoneNumbers"],
        json!([{"type": "work", "primary": true, "value": "+44 20 7946 0000"}])
    );
}

#[test]
fn replace_of_a_whole_element_that_matches_nothing_creates_it() {
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "addresses[type eq \"work\"]",
        "value": {"locality": "Leeds"}
    }]));
    assert_eq!(
        write.attributes["addresses"],
        json!([{"type": "work", "locality": "Leeds"}])
    );
}

#[test]
fn replace_with_an_unassigned_value_and_no_match_creates_nothing() {
    let write = patch(
        &ada_without_emails(),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": ""}]),
    )
    .unwrap();
    assert!(!write.attributes.contains_key("emails"));
}

#[test]
fn replace_whose_filter_describes_no_element_has_no_target() {
    // Only `eq` terms (joined with `and`) describe an element to create.
    for path in [
        "emails[type ne \"work\"].value",
        "emails[value co \"zzz\"].value",
        "emails[type eq \"home\" or type eq \"other\"].value",
    ] {
        let mut only_work = ada();
        only_work.attributes.insert(
            "emails".into(),
            json!([{"value": "ada@work.example", "type": "work"}]),
        );
        let error = patch(
            &only_work,
            json!([{"op": "replace", "path": path, "value": "a@b.example"}]),
        )
        .unwrap_err();
        assert_eq!(error.scim_type, Some("noTarget"), "{path}");
    }
}

#[test]
fn remove_whose_filter_matches_nothing_succeeds() {
    let write = patch_ada(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]));
    assert_eq!(write.attributes, ada().attributes);

    let write = patch_ada(json!([{"op": "remove", "path": "emails[type eq \"other\"].value"}]));
    assert_eq!(write.attributes, ada().attributes);

    let write = patch(
        &ada_without_emails(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
    )
    .unwrap();
    assert!(!write.attributes.contains_key("emails"));
}

#[test]
fn a_primary_set_through_a_filter_loses_to_an_earlier_primary() {
    // The edited list is re-coerced, where the first primary wins: the work address keeps it
    // and the home address's new `primary: true` is turned off.
    let write = patch_ada(json!([{
        "op": "replace",
        "path": "emails[type eq \"home\"].primary",
        "value": true
    }]));
    assert_eq!(
        write.attributes["emails"],
        json!([
            {"value": "ada@work.example", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home", "primary": false}
        ])
    );
}

#[test]
fn a_filter_on_an_attribute_that_is_not_multi_valued_is_an_invalid_path() {
    for path in ["name[givenName eq \"Ada\"]", "displayName[value eq \"x\"]"] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": path, "value": "x"}])),
            "invalidPath",
            "{path}"
        );
    }
}

#[test]
fn an_unknown_sub_attribute_after_a_filter_is_an_invalid_path() {
    assert_eq!(
        refused(json!([{"op": "replace", "path": "emails[type eq \"work\"].nope", "value": "x"}])),
        "invalidPath"
    );
}

#[test]
fn an_unknown_sub_attribute_in_a_filter_depends_on_whether_there_are_elements() {
    let ops = json!([{"op": "replace", "path": "emails[nope eq \"x\"].value", "value": "a@b"}]);
    // With elements to test, the filter is refused...
    assert_eq!(refused(ops.clone()), "invalidFilter");
    // ...without, it is only found to describe no element.
    let error = patch(&ada_without_emails(), ops).unwrap_err();
    assert_eq!(error.scim_type, Some("noTarget"));
}

#[test]
fn an_ill_typed_value_for_the_sub_attribute_is_an_invalid_value() {
    assert_eq!(
        refused(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].primary", "value": "yes"}])
        ),
        "invalidValue"
    );
}
