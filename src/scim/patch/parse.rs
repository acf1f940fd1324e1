//! Reading a PatchOp body: the envelope (`Operations`, in any case) and each operation's `op`,
//! `path` and `value`, all checked before anything is applied.

use serde_json::Value;

use super::{OpKind, PatchOp, error};
use crate::http::errors::WireError;
use crate::scim::filter::parse_path;

/// Parses a PatchOp body; every operation is checked before any is applied.
pub fn parse_patch(body: &Value) -> Result<Vec<PatchOp>, WireError> {
    let object = body
        .as_object()
        .ok_or_else(|| error("invalidSyntax", "a PatchOp body must be a JSON object"))?;
    let operations = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v)
        .ok_or_else(|| error("invalidSyntax", "a PatchOp body needs `Operations`"))?;
    let operations = operations
        .as_array()
        .ok_or_else(|| error("invalidSyntax", "`Operations` must be an array"))?;
    operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(i, op))
        .collect()
}

fn parse_op(index: usize, op: &Value) -> Result<PatchOp, WireError> {
    let at = |detail: &str| format!("operation {}: {detail}", index + 1);
    let object = op
        .as_object()
        .ok_or_else(|| error("invalidSyntax", at("must be an object")))?;
    let get = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let kind = match get("op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => OpKind::Add,
        Some("replace") => OpKind::Replace,
        Some("remove") => OpKind::Remove,
        Some(other) => return Err(error("invalidSyntax", at(&format!("unknown op `{other}`")))),
        None => return Err(error("invalidSyntax", at("needs an `op`"))),
    };
    let path = match get("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            parse_path(s)
                .map_err(|e| error("invalidPath", at(&format!("invalid path `{s}`: {e}"))))?,
        ),
        Some(_) => return Err(error("invalidPath", at("`path` must be a string"))),
    };
    let value = get("value").cloned();
    match (kind, &path, &value) {
        (OpKind::Remove, None, _) => Err(error("noTarget", at("remove needs a path"))),
        (OpKind::Add | OpKind::Replace, None, Some(Value::Object(_))) => {
            Ok(PatchOp { kind, path, value })
        }
        (OpKind::Add | OpKind::Replace, None, _) => Err(error(
            "invalidSyntax",
            at("without a path, the value must be an object"),
        )),
        (OpKind::Add | OpKind::Replace, Some(_), None) => {
            Err(error("invalidSyntax", at("needs a value")))
        }
        _ => Ok(PatchOp { kind, path, value }),
    }
}
