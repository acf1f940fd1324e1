//! Group membership: `members` edits become `MemberOp`s for the store to apply as row
//! inserts and deletes, never a rewrite of the member list.

use serde_json::Value;
use uuid::Uuid;

use super::Document;
use crate::domain::directory::MemberOp;
use crate::domain::query::{CompValue, CompareOp, Filter};
use crate::http::errors::WireError;
use crate::scim::filter::PatchPath;
use crate::scim::patch::{OpKind, error};
use crate::scim::resource::member_ids;
use crate::scim::schema;

impl Document {
    pub(super) fn members_op(
        &mut self,
        kind: OpKind,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), WireError> {
        if path.attr.sub.is_some() || path.sub.is_some() {
            return Err(error(
                "invalidPath",
                "edit members as a whole: `members` or `members[value eq \"…\"]`",
            ));
        }
        let attr = schema::find(&schema::GROUP_ATTRS, "members")
            .ok_or_else(|| error("invalidPath", "no members attribute"))?;
        let ids = |v: Option<&Value>| member_ids(attr, v.unwrap_or(&Value::Null));
        let op = match (kind, &path.filter) {
            (OpKind::Add, None) => MemberOp::Add(ids(value)?),
            (OpKind::Replace, None) => {
                self.members.push(MemberOp::RemoveAll);
                MemberOp::Add(ids(value)?)
            }
            // Entra's legacy form: remove exactly the listed members, never all of them.
            (OpKind::Remove, None) if value.is_some_and(|v| !v.is_null()) => {
                MemberOp::Remove(ids(value)?)
            }
            (OpKind::Remove, None) => MemberOp::RemoveAll,
            (OpKind::Remove, Some(filter)) => MemberOp::Remove(member_filter_ids(filter)?),
            (_, Some(_)) => {
                return Err(error(
                    "invalidPath",
                    "add or replace members without a value filter",
                ));
            }
        };
        self.members.push(op);
        Ok(())
    }
}

/// The member ids named by `value eq "…"` terms joined with `or`.
fn member_filter_ids(filter: &Filter) -> Result<Vec<Uuid>, WireError> {
    match filter {
        Filter::Or(a, b) => {
            let mut ids = member_filter_ids(a)?;
            ids.extend(member_filter_ids(b)?);
            Ok(ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.attr.eq_ignore_ascii_case("value") && path.sub.is_none() => {
            // An id that is not a UUID names no member: nothing to remove.
            Ok(Uuid::try_parse(id).into_iter().collect())
        }
        _ => Err(error(
            "invalidFilter",
            "member filters are `value eq \"id\"`, joined with `or`",
        )),
    }
}
