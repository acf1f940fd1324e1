//! Setting one sub-attribute of a complex value, shared by the plain and the filtered edits.

use serde_json::{Map, Value};

use crate::scim::schema::Attr;

/// Sets (or with `None` removes) `sub` in `target`, making `target` an object first.
pub(super) fn set_sub(target: &mut Value, sub: &'static Attr, value: Option<Value>) {
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
