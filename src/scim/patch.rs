//! PATCH (RFC 7644 §3.5.2), applied in memory to the current resource; the store then writes
//! the result, and group membership edits as row-level inserts and deletes, in one transaction.
//!
//! Tolerated, because IdPs send it (see SCIM.md §1.7): `op` in any case; `Operations` in any
//! case and empty; add/replace without a path whose value map has plain, dotted
//! (`name.givenName`) or URN-qualified keys; `id` in a value map when it equals the resource's
//! id; `remove` on `members` with a value list (removes only those members); a `replace` whose
//! value filter matches nothing creates the element (`emails[type eq "work"].value`); a
//! `remove` whose filter matches nothing succeeds (IdP retries must not fail).

use serde_json::{Map, Value};
use uuid::Uuid;

use super::filter::{PatchPath, parse_path};
use super::resource::{ResourceKind, Slot, coerce, invalid_value, member_ids, slot, text};
use super::schema::{self, Attr, ENTERPRISE_URN, Kind};
use crate::domain::query::{AttrPath, CompValue, CompareOp, Filter};
use crate::http::errors::WireError;
use crate::store::directory::{
    GroupRecord, GroupWrite, MemberOp, MembersChange, UserRecord, UserWrite,
};

pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub kind: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

fn error(scim_type: &'static str, detail: impl Into<String>) -> WireError {
    WireError::bad_request(detail).with_scim_type(scim_type)
}

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

/// Applies operations to a user, producing the full write.
pub fn apply_to_user(current: &UserRecord, ops: &[PatchOp]) -> Result<UserWrite, WireError> {
    let mut doc = current.attributes.clone();
    doc.insert("userName".into(), Value::String(current.user_name.clone()));
    let mut target = Document {
        kind: ResourceKind::User,
        id: current.id,
        doc,
        external_id: current.external_id.clone(),
        members: Vec::new(),
    };
    for op in ops {
        target.apply(op)?;
    }
    let user_name = match target.doc.remove("userName") {
        Some(Value::String(name)) => name,
        _ => {
            return Err(error(
                "mutability",
                "userName is required and cannot be removed",
            ));
        }
    };
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
    let mut doc = current.attributes.clone();
    doc.insert(
        "displayName".into(),
        Value::String(current.display_name.clone()),
    );
    let mut target = Document {
        kind: ResourceKind::Group,
        id: current.id,
        doc,
        external_id: current.external_id.clone(),
        members: Vec::new(),
    };
    for op in ops {
        target.apply(op)?;
    }
    let display_name = match target.doc.remove("displayName") {
        Some(Value::String(name)) => name,
        _ => {
            return Err(error(
                "mutability",
                "displayName is required and cannot be removed",
            ));
        }
    };
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

    fn members_op(
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

/// Edits `attr` inside `map` according to the operation.
fn edit(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), WireError> {
    let name = attr.name;
    if let Some(filter) = &path.filter {
        return edit_matching(map, attr, kind, filter, path.sub.as_deref(), value);
    }
    if let Some(sub_name) = &path.attr.sub {
        let sub = attr
            .sub_attr(sub_name)
            .filter(|_| attr.kind == Kind::Complex)
            .ok_or_else(|| {
                error(
                    "invalidPath",
                    format!("`{name}` has no sub-attribute `{sub_name}`"),
                )
            })?;
        return edit_sub_everywhere(map, attr, sub, kind, value);
    }
    if kind == OpKind::Remove && attr.required {
        return Err(error(
            "mutability",
            format!("`{name}` is required and cannot be removed"),
        ));
    }
    match kind {
        OpKind::Remove => match value.filter(|v| !v.is_null() && attr.multi) {
            // Remove-with-value on a multi-valued attribute: only the listed values.
            Some(listed) => {
                let Some(Value::Array(listed)) = coerce(attr, listed)? else {
                    return Ok(());
                };
                if let Some(Value::Array(items)) = map.get_mut(name) {
                    items.retain(|item| !listed.iter().any(|l| same_element(item, l)));
                    if items.is_empty() {
                        map.remove(name);
                    }
                }
            }
            None => {
                map.remove(name);
            }
        },
        OpKind::Add | OpKind::Replace => {
            let coerced = coerce(attr, value.unwrap_or(&Value::Null))?;
            match (coerced, attr.multi, attr.kind) {
                (None, _, _) if kind == OpKind::Replace => {
                    if attr.required {
                        return Err(error("mutability", format!("`{name}` is required")));
                    }
                    map.remove(name);
                }
                (None, _, _) => {}
                (Some(Value::Array(new)), true, _) if kind == OpKind::Add => {
                    let items = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = items {
                        for element in new {
                            // Adding a value that exists is a no-op (RFC 7644 §3.5.2.1).
                            if !items.iter().any(|i| same_element(i, &element)) {
                                items.push(element);
                            }
                        }
                    }
                }
                // Complex single value: the given sub-attributes replace, the rest stay.
                (Some(Value::Object(new)), false, Kind::Complex) => {
                    let existing = map.entry(name).or_insert_with(|| Value::Object(Map::new()));
                    match existing {
                        Value::Object(existing) => existing.extend(new),
                        other => *other = Value::Object(new),
                    }
                }
                (Some(v), _, _) => {
                    map.insert(name.to_owned(), v);
                }
            }
        }
    }
    Ok(())
}

/// `name.givenName`, `manager.value`, or `emails.value` (every element).
fn edit_sub_everywhere(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    sub: &'static Attr,
    kind: OpKind,
    value: Option<&Value>,
) -> Result<(), WireError> {
    let new = match kind {
        OpKind::Remove => None,
        _ => coerce(sub, value.unwrap_or(&Value::Null))?,
    };
    if attr.multi {
        if let Some(Value::Array(items)) = map.get_mut(attr.name) {
            for item in items.iter_mut() {
                set_sub(item, sub, new.clone());
            }
            items.retain(|i| i.as_object().is_some_and(|o| !o.is_empty()));
        }
    } else {
        let entry = map
            .entry(attr.name)
            .or_insert_with(|| Value::Object(Map::new()));
        set_sub(entry, sub, new);
    }
    if matches!(map.get(attr.name), Some(Value::Object(o)) if o.is_empty())
        || matches!(map.get(attr.name), Some(Value::Array(a)) if a.is_empty())
    {
        map.remove(attr.name);
    }
    Ok(())
}

fn set_sub(target: &mut Value, sub: &'static Attr, value: Option<Value>) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(object) = target {
        match value {
            Some(v) => {
                object.insert(sub.name.to_owned(), v);
            }
            None => {
                object.remove(sub.name);
            }
        }
    }
}

/// `emails[type eq "work"]` and `emails[type eq "work"].value`.
fn edit_matching(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    kind: OpKind,
    filter: &Filter,
    sub_name: Option<&str>,
    value: Option<&Value>,
) -> Result<(), WireError> {
    if !attr.multi || attr.kind != Kind::Complex {
        return Err(error(
            "invalidPath",
            format!("`{}` is not multi-valued", attr.name),
        ));
    }
    let sub = match sub_name {
        Some(s) => Some(attr.sub_attr(s).ok_or_else(|| {
            error(
                "invalidPath",
                format!("`{}` has no sub-attribute `{s}`", attr.name),
            )
        })?),
        None => None,
    };
    let mut items = match map.remove(attr.name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let mut matched = false;
    let mut kept = Vec::with_capacity(items.len());
    for mut item in items.drain(..) {
        if !element_matches(attr, &item, filter)? {
            kept.push(item);
            continue;
        }
        matched = true;
        match (kind, sub) {
            (OpKind::Remove, None) => {}
            (OpKind::Remove, Some(sub)) => {
                set_sub(&mut item, sub, None);
                if item.as_object().is_some_and(|o| !o.is_empty()) {
                    kept.push(item);
                }
            }
            (_, Some(sub)) => {
                set_sub(&mut item, sub, coerce(sub, value.unwrap_or(&Value::Null))?);
                kept.push(item);
            }
            (_, None) => {
                if let Some(Value::Object(new)) = coerce_one(attr, value)?
                    && let Value::Object(existing) = &mut item
                {
                    existing.extend(new);
                }
                kept.push(item);
            }
        }
    }
    if !matched && kind != OpKind::Remove {
        // Entra replaces `emails[type eq "work"].value` on users without a work e-mail: create
        // the element the filter describes.
        let mut element = upsert_seed(attr, filter).ok_or_else(|| {
            error(
                "noTarget",
                format!("no `{}` value matches the filter", attr.name),
            )
        })?;
        match sub {
            Some(sub) => {
                let new = coerce(sub, value.unwrap_or(&Value::Null))?;
                if new.is_none() {
                    return restore(map, attr, kept);
                }
                set_sub(&mut element, sub, new);
            }
            None => {
                if let Some(Value::Object(new)) = coerce_one(attr, value)?
                    && let Value::Object(existing) = &mut element
                {
                    existing.extend(new);
                }
            }
        }
        kept.push(element);
    }
    restore(map, attr, kept)
}

fn restore(
    map: &mut Map<String, Value>,
    attr: &'static Attr,
    items: Vec<Value>,
) -> Result<(), WireError> {
    if !items.is_empty() {
        // Re-coerce so "at most one primary" still holds after the edit.
        if let Some(v) = coerce(attr, &Value::Array(items))? {
            map.insert(attr.name.to_owned(), v);
        }
    }
    Ok(())
}

/// One element's worth of value, whether sent as an object or a one-element array.
fn coerce_one(attr: &'static Attr, value: Option<&Value>) -> Result<Option<Value>, WireError> {
    match coerce(attr, value.unwrap_or(&Value::Null))? {
        Some(Value::Array(mut items)) if !items.is_empty() => Ok(Some(items.swap_remove(0))),
        _ => Ok(None),
    }
}

/// For an `a eq "x"` (or `a eq "x" and b eq "y"`) filter, the element it describes.
fn upsert_seed(attr: &'static Attr, filter: &Filter) -> Option<Value> {
    let mut seed = Map::new();
    fn collect(attr: &'static Attr, filter: &Filter, seed: &mut Map<String, Value>) -> Option<()> {
        match filter {
            Filter::And(a, b) => {
                collect(attr, a, seed)?;
                collect(attr, b, seed)
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.sub.is_none() && path.urn.is_none() => {
                let sub = attr.sub_attr(&path.attr)?;
                let v = match value {
                    CompValue::String(s) => Value::String(s.clone()),
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::String(n.to_string()),
                    CompValue::Null => return None,
                };
                seed.insert(sub.name.to_owned(), v);
                Some(())
            }
            _ => None,
        }
    }
    collect(attr, filter, &mut seed)?;
    Some(Value::Object(seed))
}

/// Whether `listed` names the same value as `existing`: equal `value` sub-attributes
/// (case-insensitively) and, when `listed` has a `type`, equal types; without a `value`,
/// plain equality.
fn same_element(existing: &Value, listed: &Value) -> bool {
    let key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_lowercase);
    match (key(existing, "value"), key(listed, "value")) {
        (Some(a), Some(b)) => {
            a == b && (listed.get("type").is_none() || key(existing, "type") == key(listed, "type"))
        }
        _ => existing == listed,
    }
}

/// Evaluates a value filter against one element, in memory (the element is already loaded).
fn element_matches(
    attr: &'static Attr,
    element: &Value,
    filter: &Filter,
) -> Result<bool, WireError> {
    Ok(match filter {
        Filter::And(a, b) => {
            element_matches(attr, element, a)? && element_matches(attr, element, b)?
        }
        Filter::Or(a, b) => {
            element_matches(attr, element, a)? || element_matches(attr, element, b)?
        }
        Filter::Not(inner) => !element_matches(attr, element, inner)?,
        Filter::Present(path) => sub_value(attr, element, path)?
            .is_some_and(|v| !matches!(v, Value::String(s) if s.is_empty())),
        Filter::Compare { path, op, value } => {
            let actual = sub_value(attr, element, path)?;
            compare_value(actual, *op, value)
        }
        Filter::ValuePath { .. } => {
            return Err(error("invalidFilter", "value filters do not nest"));
        }
    })
}

fn sub_value<'a>(
    attr: &'static Attr,
    element: &'a Value,
    path: &AttrPath,
) -> Result<Option<&'a Value>, WireError> {
    if path.urn.is_some() || path.sub.is_some() {
        return Err(error(
            "invalidFilter",
            format!("`{path}` is not a sub-attribute of `{}`", attr.name),
        ));
    }
    let sub = attr.sub_attr(&path.attr).ok_or_else(|| {
        error(
            "invalidFilter",
            format!("`{}` has no sub-attribute `{path}`", attr.name),
        )
    })?;
    Ok(element.get(sub.name))
}

fn compare_value(actual: Option<&Value>, op: CompareOp, expected: &CompValue) -> bool {
    let actual_text = match actual {
        Some(Value::String(s)) => Some(s.to_lowercase()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let expected_text = match expected {
        CompValue::String(s) => Some(s.to_lowercase()),
        CompValue::Bool(b) => Some(b.to_string()),
        CompValue::Number(n) => Some(n.to_string()),
        CompValue::Null => None,
    };
    match (actual_text, expected_text) {
        (None, None) => op == CompareOp::Eq,
        (Some(_), None) => op == CompareOp::Ne,
        (None, Some(_)) => op == CompareOp::Ne,
        (Some(a), Some(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            CompareOp::Co => a.contains(&e),
            CompareOp::Sw => a.starts_with(&e),
            CompareOp::Ew => a.ends_with(&e),
            CompareOp::Gt => a > e,
            CompareOp::Ge => a >= e,
            CompareOp::Lt => a < e,
            CompareOp::Le => a <= e,
        },
    }
}
