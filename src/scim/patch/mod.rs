//! PATCH (RFC 7644 §3.5.2), applied in memory to the current resource; the store then writes
//! the result, and group membership edits as row-level inserts and deletes, in one transaction.
//!
//! Tolerated, because IdPs send it (see SCIM.md §1.7): `op` in any case; `Operations` in any
//! case and empty; add/replace without a path whose value map has plain, dotted
//! (`name.givenName`) or URN-qualified keys; `id` in a value map when it equals the resource's
//! id; `remove` on `members` with a value list (removes only those members); a `replace` whose
//! value filter matches nothing creates the element (`emails[type eq "work"].value`); a
//! `remove` whose filter matches nothing succeeds (IdP retries must not fail).
//!
//! `parse.rs` checks a whole PatchOp body into `PatchOp`s; `apply.rs` (with `apply/`) applies
//! them to a user or a group. Their unit tests sit beside them: `parse_tests.rs`,
//! `apply_tests.rs` and `apply_tests/`.

mod apply;
mod parse;

#[cfg(test)]
mod apply_tests;
#[cfg(test)]
mod parse_tests;

use serde_json::Value;

use super::filter::PatchPath;
use crate::http::errors::WireError;

pub use apply::{apply_to_group, apply_to_user};
pub use parse::parse_patch;

/// The `schemas` URN of a PatchOp request body.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An operation's `op`, read case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One checked operation. Without a path, an add or replace always has an object value.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A 400 with the given `scimType`, the shape of every PATCH error.
fn error(scim_type: &'static str, detail: impl Into<String>) -> WireError {
    WireError::bad_request(detail).with_scim_type(scim_type)
}
