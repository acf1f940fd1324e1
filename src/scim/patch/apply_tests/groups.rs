//! `apply_to_group`: displayName and externalId, and `members` edits turned into `MemberOp`s.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{GROUP_ID, nurses, patch_group};
use crate::domain::directory::{GroupWrite, MemberOp, MembersChange};
use crate::scim::schema::ENTERPRISE_URN;

const U1: &str = "01900000-0000-7000-8000-000000000101";
const U2: &str = "01900000-0000-7000-8000-000000000102";

fn id(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap()
}

/// The membership edits a patch makes, its group attributes asserted unchanged.
fn member_ops(operations: Value) -> Vec<MemberOp> {
    let (write, members) = patch_group(operations).unwrap();
    assert_eq!(write, unchanged());
    match members {
        MembersChange::Edit(ops) => ops,
        other => panic!("expected membership edits, got {other:?}"),
    }
}

/// The write for a patch that leaves the group's own attributes alone.
fn unchanged() -> GroupWrite {
    let group = nurses();
    GroupWrite {
        display_name: group.display_name,
        external_id: group.external_id,
        attributes: group.attributes,
    }
}

fn refused(operations: Value) -> &'static str {
    let error = patch_group(operations.clone()).unwrap_err();
    assert_eq!(error.status, 400, "{operations}");
    error.scim_type.unwrap()
}

#[test]
fn no_member_operations_keep_the_members() {
    let (write, members) = patch_group(json!([
        {"op": "replace", "path": "displayName", "value": "Night Nurses"},
        {"op": "add", "path": "externalId", "value": "okta-g1"}
    ]))
    .unwrap();
    assert_eq!(
        write,
        GroupWrite {
            display_name: "Night Nurses".into(),
            external_id: Some("okta-g1".into()),
            attributes: Map::new(),
        }
    );
    assert_eq!(members, MembersChange::Keep);
}

#[test]
fn display_name_cannot_be_removed() {
    assert_eq!(
        refused(json!([{"op": "remove", "path": "displayName"}])),
        "mutability"
    );
    assert_eq!(
        refused(json!([{"op": "replace", "value": {"displayName": ""}}])),
        "mutability"
    );
}

#[test]
fn add_members_adds_the_listed_ids() {
    let ops = member_ops(json!([{
        "op": "add",
        "path": "members",
        "value": [{"value": U1}, {"value": U2, "display": "Bea"}]
    }]));
    assert_eq!(ops, [MemberOp::Add(vec![id(U1), id(U2)])]);

    // Bare ids, alone or in a list; an id that is not a UUID names none of our users and
    // is refused rather than dropped (a replace would otherwise empty the group).
    let ops = member_ops(json!([{"op": "add", "path": "members", "value": [U1, U2]}]));
    assert_eq!(ops, [MemberOp::Add(vec![id(U1), id(U2)])]);
    let ops = member_ops(json!([{"op": "add", "path": "members", "value": U1}]));
    assert_eq!(ops, [MemberOp::Add(vec![id(U1)])]);
    for bad in [
        json!([U1, "not-a-uuid"]),
        json!("x"),
        json!({"a": 1}),
        json!(5),
    ] {
        let refused = patch_group(json!([{"op": "replace", "path": "members", "value": bad}]));
        assert_eq!(
            refused.unwrap_err().scim_type,
            Some("invalidValue"),
            "{bad}"
        );
    }
}

#[test]
fn remove_members_with_a_value_list_removes_only_those() {
    // Entra's legacy form.
    let ops = member_ops(json!([{"op": "remove", "path": "members", "value": [{"value": U2}]}]));
    assert_eq!(ops, [MemberOp::Remove(vec![id(U2)])]);
}

#[test]
fn remove_members_without_a_value_removes_all() {
    assert_eq!(
        member_ops(json!([{"op": "remove", "path": "members"}])),
        [MemberOp::RemoveAll]
    );
    assert_eq!(
        member_ops(json!([{"op": "remove", "path": "members", "value": null}])),
        [MemberOp::RemoveAll]
    );
}

#[test]
fn remove_members_by_filter_removes_the_named_ids() {
    let ops = member_ops(json!([{
        "op": "remove",
        "path": format!("members[value eq \"{U1}\"]")
    }]));
    assert_eq!(ops, [MemberOp::Remove(vec![id(U1)])]);

    let ops = member_ops(json!([{
        "op": "remove",
        "path": format!("members[value eq \"{U1}\" or value eq \"{U2}\"]")
    }]));
    assert_eq!(ops, [MemberOp::Remove(vec![id(U1), id(U2)])]);

    // An id that is not a UUID names no member: nothing to remove, and no error.
    let ops = member_ops(json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]));
    assert_eq!(ops, [MemberOp::Remove(Vec::new())]);
}

#[test]
fn member_filters_other_than_value_eq_are_invalid() {
    for path in [
        format!("members[value ne \"{U1}\"]"),
        format!("members[display eq \"{U1}\"]"),
        format!("members[value eq \"{U1}\" and value eq \"{U2}\"]"),
        "members[value pr]".to_owned(),
    ] {
        assert_eq!(
            refused(json!([{"op": "remove", "path": path}])),
            "invalidFilter",
            "{path}"
        );
    }
}

#[test]
fn replace_members_removes_all_then_adds() {
    let ops = member_ops(json!([{"op": "replace", "path": "members", "value": [{"value": U1}]}]));
    assert_eq!(ops, [MemberOp::RemoveAll, MemberOp::Add(vec![id(U1)])]);

    let ops = member_ops(json!([{"op": "replace", "path": "members", "value": []}]));
    assert_eq!(ops, [MemberOp::RemoveAll, MemberOp::Add(Vec::new())]);
}

#[test]
fn membership_edits_collect_in_order() {
    let ops = member_ops(json!([
        {"op": "add", "path": "members", "value": [{"value": U1}]},
        {"op": "remove", "path": format!("members[value eq \"{U2}\"]")},
        {"op": "add", "path": "Members", "value": [{"value": U2}]}
    ]));
    assert_eq!(
        ops,
        [
            MemberOp::Add(vec![id(U1)]),
            MemberOp::Remove(vec![id(U2)]),
            MemberOp::Add(vec![id(U2)]),
        ]
    );
}

#[test]
fn members_without_a_path() {
    // Okta Group Push: displayName and members in one path-less replace.
    let (write, members) = patch_group(json!([{
        "op": "replace",
        "value": {"id": GROUP_ID.to_string(), "displayName": "Ward 7", "members": [{"value": U1}]}
    }]))
    .unwrap();
    assert_eq!(write.display_name, "Ward 7");
    assert_eq!(
        members,
        MembersChange::Edit(vec![MemberOp::RemoveAll, MemberOp::Add(vec![id(U1)])])
    );

    let ops = member_ops(json!([{"op": "add", "value": {"members": [{"value": U2}]}}]));
    assert_eq!(ops, [MemberOp::Add(vec![id(U2)])]);
}

#[test]
fn add_or_replace_members_with_a_filter_is_an_invalid_path() {
    for op in ["add", "replace"] {
        assert_eq!(
            refused(json!([{
                "op": op,
                "path": format!("members[value eq \"{U1}\"]"),
                "value": [{"value": U1}]
            }])),
            "invalidPath",
            "{op}"
        );
    }
}

#[test]
fn member_sub_attributes_are_invalid_paths() {
    for path in [
        "members.value".to_owned(),
        format!("members[value eq \"{U1}\"].value"),
    ] {
        assert_eq!(
            refused(json!([{"op": "remove", "path": path}])),
            "invalidPath",
            "{path}"
        );
    }
}

#[test]
fn ill_typed_members_are_invalid_values() {
    for value in [json!(5), json!([true]), json!([{"value": U1}, 7])] {
        assert_eq!(
            refused(json!([{"op": "add", "path": "members", "value": value}])),
            "invalidValue",
            "{value}"
        );
    }
}

#[test]
fn user_attributes_are_no_group_paths() {
    for path in [
        "title",
        "emails",
        format!("{ENTERPRISE_URN}:department").as_str(),
    ] {
        assert_eq!(
            refused(json!([{"op": "replace", "path": path, "value": "x"}])),
            "invalidPath",
            "{path}"
        );
    }
    // Without a path they are ignored, the extension included.
    let (write, members) = patch_group(json!([{
        "op": "replace",
        "value": {"title": "x", ENTERPRISE_URN: {"department": "Radiology"}}
    }]))
    .unwrap();
    assert_eq!(write, unchanged());
    assert_eq!(members, MembersChange::Keep);
}

#[test]
fn another_id_in_a_value_map_is_refused() {
    assert_eq!(
        refused(json!([{"op": "replace", "value": {"id": U1}}])),
        "mutability"
    );
    let (write, _) =
        patch_group(json!([{"op": "replace", "value": {"id": GROUP_ID.to_string()}}])).unwrap();
    assert_eq!(write, unchanged());
}
