//! Applying checked operations to a user or a group, in memory: `Document` holds the
//! resource while each operation resolves its path to a slot and edits it. The edits
//! themselves live in the submodules: whole attributes and sub-attributes in `edit`,
//! elements chosen by a value filter in `edit_matching` (which reads filters with
//! `value_filter`), and group membership in `members`.

mod edit;
mod edit_matching;
mod members;
mod sub_attribute;
mod value_filter;

use serde_json::{Map, Value};
use uuid::Uuid;

use self::edit::edit;
use super::{OpKind, PatchOp, error};
use crate::domain::directory::{
    GroupRecord, GroupWrite, MemberOp, MembersChange, UserRecord, UserWrite,
};
use crate::domain::query::AttrPath;
use crate::http::errors::WireError;
use crate::scim::filter::{PatchPath, parse_path};
use crate::scim::resource::{ResourceKind, Slot, invalid_value, slot, text};
use crate::scim::schema::{self, ENTERPRISE_URN};

/// Applies operations to a user, producing the full write.
pub fn apply_to_user(current: &UserRecord, ops: &[PatchOp]) -> Result<UserWrite, WireError> {
    let (target, user_name) = Document::patched(
        ResourceKind::User,
        current.id,
        &current.attributes,
        ("userName", &current.user_name),
        current.external_id.clone(),
        ops,
    )?;
    // `active` can be removed from the document like any attribute (it then reads as
    // unassigned), but only an explicit true or false changes whether the person works here:
    // clearing it must never reactivate a leaver, nor deactivate anyone.
    let active = target
        .doc
        .get("active")
        .and_then(Value::as_bool)
        .unwrap_or(current.active);
    Ok(UserWrite {
        user_name,
        external_id: target.external_id,
        active,
        attributes: target.doc,
    })
}

/// Applies operations to a group, producing its new attributes and the membership edits.
pub fn apply_to_group(
    current: &GroupRecord,
    ops: &[PatchOp],
) -> Result<(GroupWrite, MembersChange), WireError> {
    let (target, display_name) = Document::patched(
        ResourceKind::Group,
        current.id,
        &current.attributes,
        ("displayName", &current.display_name),
        current.external_id.clone(),
        ops,
    )?;
    let members = if target.members.is_empty() {
        MembersChange::Keep
    } else {
        MembersChange::Edit(target.members)
    };
    Ok((
        GroupWrite {
            display_name,
            external_id: target.external_id,
            attributes: target.doc,
        },
        members,
    ))
}

/// The resource being patched: its document (including the required name and, for users,
/// `active`), its externalId, and membership edits collected along the way.
struct Document {
    kind: ResourceKind,
    id: Uuid,
    doc: Map<String, Value>,
    external_id: Option<String>,
    members: Vec<MemberOp>,
}

impl Document {
    /// Applies `ops` in order to a resource's attributes, with its required name (`userName`,
    /// `displayName`) put into the document so paths can reach it, and takes the name back
    /// out: removing it is refused.
    fn patched(
        kind: ResourceKind,
        id: Uuid,
        attributes: &Map<String, Value>,
        (name_attr, name): (&'static str, &str),
        external_id: Option<String>,
        ops: &[PatchOp],
    ) -> Result<(Document, String), WireError> {
        let mut doc = attributes.clone();
        doc.insert(name_attr.into(), Value::String(name.to_owned()));
        let mut target = Document {
            kind,
            id,
            doc,
            external_id,
            members: Vec::new(),
        };
        for op in ops {
            target.apply(op)?;
        }
        match target.doc.remove(name_attr) {
            Some(Value::String(name)) => Ok((target, name)),
            _ => Err(error(
                "mutability",
                format!("{name_attr} is required and cannot be removed"),
            )),
        }
    }

    fn apply(&mut self, op: &PatchOp) -> Result<(), WireError> {
        match &op.path {
            Some(path) => self.apply_path(op.kind, path, op.value.as_ref()),
            None => {
                let Some(Value::Object(map)) = &op.value else {
                    return Ok(());
                };
                for (key, value) in map {
                    self.apply_key(op.kind, key, value)?;
                }
                Ok(())
            }
        }
    }

    /// One entry of a path-less value map.
    fn apply_key(&mut self, kind: OpKind, key: &str, value: &Value) -> Result<(), WireError> {
        if key.eq_ignore_ascii_case("id") {
            return match value.as_str() {
                Some(id) if id == self.id.to_string() => Ok(()),
                _ => Err(error("mutability", "`id` is read-only")),
            };
        }
        if ["schemas", "meta", "groups"]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k))
        {
            return Ok(());
        }
        if self.kind == ResourceKind::User && key.eq_ignore_ascii_case(ENTERPRISE_URN) {
            let Some(ext) = value.as_object() else {
                return Err(invalid_value("the enterprise extension must be an object"));
            };
            for (name, v) in ext {
                if schema::find(&schema::ENTERPRISE_ATTRS, name).is_some() {
                    self.apply_key(kind, &format!("{ENTERPRISE_URN}:{name}"), v)?;
                }
            }
            return Ok(());
        }
        let path = parse_path(key).map_err(|e| error("invalidPath", format!("`{key}`: {e}")))?;
        match self.resolve(&path.attr) {
            // Unknown attributes in a value map are ignored, like unknown attributes in a POST.
            Err(_) => Ok(()),
            Ok(_) => self.apply_path(kind, &path, Some(value)),
        }
    }

    fn resolve(&self, attr: &AttrPath) -> Result<Slot, WireError> {
        let name = match &attr.urn {
            Some(urn) => format!("{urn}:{}", attr.attr),
            None => attr.attr.clone(),
        };
        match slot(self.kind, &name) {
            Slot::Ignored => {
                let read_only = ["id", "meta", "schemas", "groups", "password"];
                if read_only.iter().any(|r| attr.attr.eq_ignore_ascii_case(r)) {
                    Err(error("mutability", format!("`{name}` is read-only")))
                } else {
                    Err(error("invalidPath", format!("no attribute `{name}`")))
                }
            }
            found => Ok(found),
        }
    }

    fn apply_path(
        &mut self,
        kind: OpKind,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), WireError> {
        let slot = self.resolve(&path.attr)?;
        let attr = match slot {
            Slot::ExternalId => {
                if path.attr.sub.is_some() || path.filter.is_some() {
                    return Err(error("invalidPath", "externalId has no sub-attributes"));
                }
                self.external_id = match (kind, value) {
                    (OpKind::Remove, _) | (_, None) => None,
                    (_, Some(v)) => text(v, "externalId")?,
                };
                return Ok(());
            }
            Slot::EnterpriseObject => {
                // `path: "urn:…:enterprise:2.0:User"`: apply each key of the value.
                return match (kind, value) {
                    (OpKind::Remove, _) => {
                        self.doc.remove(ENTERPRISE_URN);
                        Ok(())
                    }
                    (_, Some(v)) => self.apply_key(kind, ENTERPRISE_URN, v),
                    (_, None) => Ok(()),
                };
            }
            Slot::Core(attr) | Slot::Enterprise(attr) => attr,
            Slot::Ignored => return Ok(()),
        };
        if self.kind == ResourceKind::Group && attr.name == "members" {
            return self.members_op(kind, path, value);
        }
        if !matches!(slot, Slot::Enterprise(_)) {
            return edit(&mut self.doc, attr, kind, path, value);
        }
        // Extension attributes live in the extension's own object, dropped when it empties.
        let mut extension = match self.doc.remove(ENTERPRISE_URN) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let result = edit(&mut extension, attr, kind, path, value);
        if !extension.is_empty() {
            self.doc
                .insert(ENTERPRISE_URN.to_owned(), Value::Object(extension));
        }
        result
    }
}
