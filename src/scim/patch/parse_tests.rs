//! `parse_patch`: the envelope, each operation's `op`, `path` and `value`, and the error each
//! malformed body gets.

use serde_json::{Value, json};

use super::{OpKind, PATCH_OP_URN, PatchOp, parse_patch};
use crate::domain::query::{CompValue, CompareOp, Filter};
use crate::http::errors::WireError;
use crate::scim::schema::ENTERPRISE_URN;

fn parse(operations: Value) -> Result<Vec<PatchOp>, WireError> {
    parse_patch(&json!({"schemas": [PATCH_OP_URN], "Operations": operations}))
}

fn one(operation: Value) -> PatchOp {
    let mut ops = parse(json!([operation])).unwrap();
    assert_eq!(ops.len(), 1);
    ops.remove(0)
}

/// The `scimType` of a refused body; every PATCH error is a 400.
fn refused(body: Value) -> &'static str {
    let error = parse_patch(&body).unwrap_err();
    assert_eq!(error.status, 400, "{body}");
    error.scim_type.unwrap()
}

fn refused_op(operation: Value) -> &'static str {
    refused(json!({"Operations": [operation]}))
}

#[test]
fn reads_each_op_in_any_case() {
    for (op, kind) in [
        ("add", OpKind::Add),
        ("Add", OpKind::Add),
        ("replace", OpKind::Replace),
        ("REPLACE", OpKind::Replace),
        ("remove", OpKind::Remove),
        ("Remove", OpKind::Remove),
    ] {
        let parsed = one(json!({"op": op, "path": "title", "value": "x"}));
        assert_eq!(parsed.kind, kind, "{op}");
    }
}

#[test]
fn reads_operation_keys_in_any_case() {
    let parsed = one(json!({"OP": "Replace", "Path": "title", "VALUE": "Nurse"}));
    assert_eq!(parsed.kind, OpKind::Replace);
    assert_eq!(parsed.path.unwrap().attr.attr, "title");
    assert_eq!(parsed.value, Some(json!("Nurse")));
}

#[test]
fn finds_operations_in_any_case() {
    for key in ["Operations", "operations", "OPERATIONS"] {
        let body = json!({key: [{"op": "remove", "path": "title"}]});
        assert_eq!(parse_patch(&body).unwrap().len(), 1, "{key}");
    }
}

#[test]
fn empty_operations_parse_to_nothing() {
    assert_eq!(parse(json!([])).unwrap(), Vec::new());
    // `schemas` is not required.
    assert_eq!(parse_patch(&json!({"Operations": []})).unwrap(), Vec::new());
}

#[test]
fn keeps_operations_in_order() {
    let ops = parse(json!([
        {"op": "add", "path": "title", "value": "a"},
        {"op": "remove", "path": "nickName"},
        {"op": "replace", "value": {"title": "b"}}
    ]))
    .unwrap();
    let kinds: Vec<OpKind> = ops.iter().map(|op| op.kind).collect();
    assert_eq!(kinds, [OpKind::Add, OpKind::Remove, OpKind::Replace]);
}

#[test]
fn reads_a_simple_path() {
    let parsed = one(json!({"op": "replace", "path": "displayName", "value": "Ada"}));
    let path = parsed.path.unwrap();
    assert_eq!(path.attr.urn, None);
    assert_eq!(path.attr.attr, "displayName");
    assert_eq!(path.attr.sub, None);
    assert_eq!(path.filter, None);
}

#[test]
fn reads_a_sub_attribute_path() {
    let parsed = one(json!({"op": "replace", "path": "name.givenName", "value": "Ada"}));
    let path = parsed.path.unwrap();
    assert_eq!(path.attr.attr, "name");
    assert_eq!(path.attr.sub.as_deref(), Some("givenName"));
}

#[test]
fn reads_a_urn_qualified_path() {
    let parsed = one(json!({
        "op": "replace",
        "path": format!("{ENTERPRISE_URN}:department"),
        "value": "Radiology"
    }));
    let path = parsed.path.unwrap();
    assert_eq!(path.attr.urn.as_deref(), Some(ENTERPRISE_URN));
    assert_eq!(path.attr.attr, "department");
}

#[test]
fn reads_a_value_filter_path() {
    let parsed =
        one(json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@b"}));
    let path = parsed.path.unwrap();
    assert_eq!(path.attr.attr, "emails");
    assert_eq!(path.sub.as_deref(), Some("value"));
    let Some(Filter::Compare {
        path: on,
        op,
        value,
    }) = path.filter
    else {
        panic!("expected a comparison");
    };
    assert_eq!(on.attr, "type");
    assert_eq!(op, CompareOp::Eq);
    assert_eq!(value, CompValue::String("work".into()));
}

#[test]
fn a_blank_or_null_path_is_no_path() {
    for path in [json!(""), json!("   "), Value::Null] {
        let parsed = one(json!({"op": "add", "path": path.clone(), "value": {"title": "x"}}));
        assert_eq!(parsed.path, None, "{path}");
    }
}

#[test]
fn add_and_replace_without_a_path_take_an_object() {
    for op in ["add", "replace"] {
        let parsed = one(json!({"op": op, "value": {"displayName": "Ada", "name.givenName": "A"}}));
        assert_eq!(parsed.path, None);
        assert_eq!(
            parsed.value,
            Some(json!({"displayName": "Ada", "name.givenName": "A"}))
        );
    }
}

#[test]
fn remove_with_a_path_needs_no_value() {
    let parsed = one(json!({"op": "remove", "path": "title"}));
    assert_eq!(parsed.kind, OpKind::Remove);
    assert_eq!(parsed.value, None);
    let listed = one(json!({"op": "remove", "path": "members", "value": [{"value": "x"}]}));
    assert_eq!(listed.value, Some(json!([{"value": "x"}])));
}

#[test]
fn a_null_value_with_a_path_is_accepted() {
    // Present but null counts as a value here; applying it clears the attribute.
    let parsed = one(json!({"op": "replace", "path": "title", "value": null}));
    assert_eq!(parsed.value, Some(Value::Null));
}

#[test]
fn refuses_a_body_that_is_not_an_object() {
    for body in [json!([]), json!("Operations"), Value::Null, json!(1)] {
        assert_eq!(refused(body), "invalidSyntax");
    }
}

#[test]
fn refuses_a_body_without_operations() {
    assert_eq!(refused(json!({"schemas": [PATCH_OP_URN]})), "invalidSyntax");
    assert_eq!(refused(json!({"Operation": []})), "invalidSyntax");
}

#[test]
fn refuses_operations_that_are_not_an_array() {
    for operations in [json!("no"), json!({"op": "add"}), Value::Null] {
        assert_eq!(refused(json!({"Operations": operations})), "invalidSyntax");
    }
}

#[test]
fn refuses_an_operation_that_is_not_an_object() {
    assert_eq!(refused(json!({"Operations": ["add"]})), "invalidSyntax");
}

#[test]
fn refuses_an_unknown_or_missing_op() {
    assert_eq!(
        refused_op(json!({"op": "frobnicate", "path": "title", "value": "x"})),
        "invalidSyntax"
    );
    assert_eq!(
        refused_op(json!({"path": "title", "value": "x"})),
        "invalidSyntax"
    );
    assert_eq!(
        refused_op(json!({"op": 1, "path": "title", "value": "x"})),
        "invalidSyntax"
    );
}

#[test]
fn names_the_operation_at_fault() {
    let error = parse(json!([
        {"op": "add", "path": "title", "value": "fine"},
        {"op": "Frobnicate", "path": "title", "value": "x"}
    ]))
    .unwrap_err();
    // The op is reported lowercased, not as sent.
    assert_eq!(error.detail, "operation 2: unknown op `frobnicate`");
}

#[test]
fn refuses_remove_without_a_path() {
    assert_eq!(refused_op(json!({"op": "remove"})), "noTarget");
    assert_eq!(refused_op(json!({"op": "remove", "path": ""})), "noTarget");
    assert_eq!(
        refused_op(json!({"op": "remove", "value": {"title": "x"}})),
        "noTarget"
    );
}

#[test]
fn refuses_bad_path_syntax() {
    for path in [
        "emails[type eq",
        "emails[type eq \"work\"",
        "a.b.c",
        "name.givenName[type eq \"x\"]",
        "1title",
        "title extra",
    ] {
        assert_eq!(
            refused_op(json!({"op": "replace", "path": path, "value": "x"})),
            "invalidPath",
            "{path}"
        );
    }
}

#[test]
fn refuses_a_path_that_is_not_a_string() {
    for path in [json!(1), json!(["title"]), json!({"attr": "title"})] {
        assert_eq!(
            refused_op(json!({"op": "replace", "path": path, "value": "x"})),
            "invalidPath"
        );
    }
}

#[test]
fn refuses_add_or_replace_without_a_path_or_an_object() {
    for op in ["add", "replace"] {
        for value in [json!("not an object"), json!([{"title": "x"}]), Value::Null] {
            assert_eq!(
                refused_op(json!({"op": op, "value": value})),
                "invalidSyntax"
            );
        }
        assert_eq!(refused_op(json!({"op": op})), "invalidSyntax");
    }
}

#[test]
fn refuses_add_or_replace_with_a_path_but_no_value() {
    for op in ["add", "replace"] {
        assert_eq!(
            refused_op(json!({"op": op, "path": "title"})),
            "invalidSyntax"
        );
    }
}

#[test]
fn one_bad_operation_fails_the_whole_body() {
    let error = parse(json!([
        {"op": "replace", "path": "title", "value": "ok"},
        {"op": "remove"}
    ]))
    .unwrap_err();
    assert_eq!(error.scim_type, Some("noTarget"));
    assert!(error.detail.starts_with("operation 2:"), "{}", error.detail);
}
