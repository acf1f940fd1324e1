//! Where a top-level key of a resource document lands (core attribute, enterprise extension,
//! `externalId`, or nowhere), and putting a value there in a stored document.

use serde_json::{Map, Value};

use super::ResourceKind;
use crate::scim::schema::{self, Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN};

/// Where a top-level key of a resource document lands.
#[derive(Debug, Clone, Copy)]
pub enum Slot {
    Core(&'static Attr),
    /// An attribute of the enterprise extension (users only).
    Enterprise(&'static Attr),
    /// The whole enterprise extension object.
    EnterpriseObject,
    ExternalId,
    /// Read-only, unknown, or not ours: ignored.
    Ignored,
}

/// Resolves a top-level key: plain (`userName`), URN-qualified
/// (`urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:department`) or the
/// extension URN itself. Case-insensitive.
pub fn slot(kind: ResourceKind, key: &str) -> Slot {
    if key.eq_ignore_ascii_case("externalId") {
        return Slot::ExternalId;
    }
    if kind == ResourceKind::User && key.eq_ignore_ascii_case(ENTERPRISE_URN) {
        return Slot::EnterpriseObject;
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("urn:") {
        let Some((urn, name)) = key.rsplit_once(':') else {
            return Slot::Ignored;
        };
        if urn.eq_ignore_ascii_case(kind.core_urn()) {
            return core_slot(kind, name);
        }
        if kind == ResourceKind::User && urn.eq_ignore_ascii_case(ENTERPRISE_URN) {
            return schema::find(&ENTERPRISE_ATTRS, name).map_or(Slot::Ignored, Slot::Enterprise);
        }
        return Slot::Ignored;
    }
    core_slot(kind, key)
}

fn core_slot(kind: ResourceKind, name: &str) -> Slot {
    if name.eq_ignore_ascii_case("externalId") {
        return Slot::ExternalId;
    }
    match schema::find(kind.core_attrs(), name) {
        Some(attr) if attr.is_writable() => Slot::Core(attr),
        Some(_) => Slot::Ignored,
        // Old Entra sends `manager` (and friends) without the extension URN; no enterprise
        // attribute name collides with a core one.
        None if kind == ResourceKind::User => {
            schema::find(&ENTERPRISE_ATTRS, name).map_or(Slot::Ignored, Slot::Enterprise)
        }
        None => Slot::Ignored,
    }
}

/// Sets (or, for `None`, clears) a top-level attribute in a stored document.
pub fn put(doc: &mut Map<String, Value>, slot: Slot, value: Option<Value>) {
    let (target, name): (&mut Map<String, Value>, &str) = match slot {
        Slot::Core(attr) => (doc, attr.name),
        Slot::Enterprise(attr) => {
            let ext = doc
                .entry(ENTERPRISE_URN)
                .or_insert_with(|| Value::Object(Map::new()));
            if !ext.is_object() {
                *ext = Value::Object(Map::new());
            }
            let Value::Object(ext) = ext else { return };
            match value {
                Some(v) => {
                    ext.insert(attr.name.to_owned(), v);
                }
                None => {
                    ext.remove(attr.name);
                }
            }
            if ext.is_empty() {
                doc.remove(ENTERPRISE_URN);
            }
            return;
        }
        _ => return,
    };
    match value {
        Some(v) => {
            target.insert(name.to_owned(), v);
        }
        None => {
            target.remove(name);
        }
    }
}
