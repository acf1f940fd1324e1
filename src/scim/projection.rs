//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a
//! response carries. `id` and `schemas` are always returned. Names are case-insensitive and
//! may be URN-qualified; the enterprise extension URN alone names the whole extension.

use serde_json::{Map, Value};

use super::filter::parse_path;
use super::schema::{ENTERPRISE_URN, GROUP_URN, USER_URN};
use crate::http::errors::WireError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    include: Vec<AttrRef>,
    exclude: Vec<AttrRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AttrRef {
    /// In the enterprise extension (users).
    extension: bool,
    /// `None`: the whole extension.
    attr: Option<String>,
    sub: Option<String>,
}

impl Projection {
    /// From the comma-separated query parameters.
    pub fn from_params(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, WireError> {
        let split = |text: Option<&str>| -> Vec<String> {
            text.map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        Self::from_lists(&split(attributes), &split(excluded))
    }

    pub fn from_lists(attributes: &[String], excluded: &[String]) -> Result<Self, WireError> {
        let parse = |names: &[String]| {
            names
                .iter()
                .map(|n| parse_ref(n))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            include: parse(attributes)?,
            exclude: parse(excluded)?,
        })
    }

    /// Whether `attr` (a core attribute) is part of the response: lets handlers skip loading
    /// group members or user groups that would be dropped anyway.
    pub fn wants(&self, attr: &str) -> bool {
        let names = |r: &AttrRef| {
            !r.extension
                && r.attr
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(attr))
        };
        if self.exclude.iter().any(|r| names(r) && r.sub.is_none()) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(names)
    }

    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut full) = resource else {
            return resource;
        };
        let mut out = if self.include.is_empty() {
            full
        } else {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = full.get(key) {
                    out.insert(key.to_owned(), v.clone());
                }
            }
            for r in &self.include {
                copy(&mut full, &mut out, r);
            }
            out
        };
        for r in &self.exclude {
            remove(&mut out, r);
        }
        Value::Object(out)
    }
}

fn parse_ref(name: &str) -> Result<AttrRef, WireError> {
    if name.eq_ignore_ascii_case(ENTERPRISE_URN) {
        return Ok(AttrRef {
            extension: true,
            attr: None,
            sub: None,
        });
    }
    let path = parse_path(name).map_err(|e| {
        WireError::bad_request(format!("attribute `{name}`: {e}")).with_scim_type("invalidValue")
    })?;
    let extension = match &path.attr.urn {
        None => false,
        Some(urn) if urn.eq_ignore_ascii_case(ENTERPRISE_URN) => true,
        Some(urn) if urn.eq_ignore_ascii_case(USER_URN) || urn.eq_ignore_ascii_case(GROUP_URN) => {
            false
        }
        Some(_) => {
            return Err(
                WireError::bad_request(format!("attribute `{name}`: unknown schema"))
                    .with_scim_type("invalidValue"),
            );
        }
    };
    Ok(AttrRef {
        extension,
        attr: Some(path.attr.attr),
        sub: path.attr.sub,
    })
}

/// The key in `map` equal to `name` ignoring case.
fn key_of(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

fn copy(from: &mut Map<String, Value>, to: &mut Map<String, Value>, r: &AttrRef) {
    let (source, target) = if r.extension {
        let Some(Value::Object(ext)) = from.get(ENTERPRISE_URN) else {
            return;
        };
        let Some(attr) = &r.attr else {
            to.insert(ENTERPRISE_URN.to_owned(), Value::Object(ext.clone()));
            return;
        };
        let ext = ext.clone();
        let target = to
            .entry(ENTERPRISE_URN)
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(target) = target else {
            return;
        };
        copy_attr(&ext, target, attr, r.sub.as_deref());
        return;
    } else {
        (from, to)
    };
    if let Some(attr) = &r.attr {
        copy_attr(source, target, attr, r.sub.as_deref());
    }
}

fn copy_attr(
    source: &Map<String, Value>,
    target: &mut Map<String, Value>,
    attr: &str,
    sub: Option<&str>,
) {
    let Some(key) = key_of(source, attr) else {
        return;
    };
    let value = &source[&key];
    let Some(sub) = sub else {
        target.insert(key, value.clone());
        return;
    };
    let pick = |v: &Value| -> Option<Value> {
        let object = v.as_object()?;
        let sub_key = key_of(object, sub)?;
        let mut picked = target_object(target.get(&key), v);
        picked.insert(sub_key.clone(), object[&sub_key].clone());
        Some(Value::Object(picked))
    };
    match value {
        Value::Array(items) => {
            // Element by element, adding to what earlier sub-attributes already picked
            // (`emails.value,emails.type` keeps both).
            let mut picked: Vec<Value> = match target.get(&key) {
                Some(Value::Array(existing)) if existing.len() == items.len() => existing.clone(),
                _ => vec![Value::Object(Map::new()); items.len()],
            };
            for (item, out) in items.iter().zip(picked.iter_mut()) {
                if let (Some(o), Value::Object(out)) = (item.as_object(), out)
                    && let Some(k) = key_of(o, sub)
                {
                    out.insert(k.clone(), o[&k].clone());
                }
            }
            picked.retain(|p| p.as_object().is_some_and(|o| !o.is_empty()));
            if !picked.is_empty() {
                target.insert(key, Value::Array(picked));
            }
        }
        other => {
            if let Some(picked) = pick(other) {
                target.insert(key, picked);
            }
        }
    }
}

/// An already-projected object for the same attribute, so `name.givenName,name.familyName`
/// accumulate into one `name`.
fn target_object(existing: Option<&Value>, _source: &Value) -> Map<String, Value> {
    match existing {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

fn remove(map: &mut Map<String, Value>, r: &AttrRef) {
    let container = if r.extension {
        let Some(attr) = &r.attr else {
            map.remove(ENTERPRISE_URN);
            return;
        };
        let Some(Value::Object(ext)) = map.get_mut(ENTERPRISE_URN) else {
            return;
        };
        remove_attr(ext, attr, r.sub.as_deref());
        if ext.is_empty() {
            map.remove(ENTERPRISE_URN);
        }
        return;
    } else {
        map
    };
    if let Some(attr) = &r.attr {
        if attr.eq_ignore_ascii_case("id") || attr.eq_ignore_ascii_case("schemas") {
            return;
        }
        remove_attr(container, attr, r.sub.as_deref());
    }
}

fn remove_attr(map: &mut Map<String, Value>, attr: &str, sub: Option<&str>) {
    let Some(key) = key_of(map, attr) else { return };
    let Some(sub) = sub else {
        map.remove(&key);
        return;
    };
    let strip = |v: &mut Value| {
        if let Value::Object(o) = v
            && let Some(k) = key_of(o, sub)
        {
            o.remove(&k);
        }
    };
    match map.get_mut(&key) {
        Some(Value::Array(items)) => items.iter_mut().for_each(strip),
        Some(other) => strip(other),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN], "id": "1", "userName": "ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}],
            ENTERPRISE_URN: {"department": "Billing", "costCenter": "7"},
            "meta": {"resourceType": "User"}
        })
    }

    #[test]
    fn attributes_keep_only_what_is_asked_plus_id_and_schemas() {
        let p =
            Projection::from_params(Some("USERNAME,name.givenName,emails.value"), None).unwrap();
        assert_eq!(
            p.apply(user()),
            json!({"schemas": [USER_URN, ENTERPRISE_URN], "id": "1", "userName": "ann",
                   "name": {"givenName": "Ann"}, "emails": [{"value": "a@x"}, {"value": "b@x"}]})
        );
        let ext =
            Projection::from_params(Some(&format!("{ENTERPRISE_URN}:department")), None).unwrap();
        assert_eq!(
            ext.apply(user())[ENTERPRISE_URN],
            json!({"department": "Billing"})
        );
        let whole = Projection::from_params(Some(ENTERPRISE_URN), None).unwrap();
        assert_eq!(
            whole.apply(user())[ENTERPRISE_URN],
            json!({"department": "Billing", "costCenter": "7"})
        );
    }

    #[test]
    fn excluded_attributes_are_dropped_but_never_id() {
        let p = Projection::from_params(None, Some("emails,name.familyName,id,meta")).unwrap();
        let out = p.apply(user());
        assert!(out.get("emails").is_none());
        assert!(out.get("meta").is_none());
        assert_eq!(out["name"], json!({"givenName": "Ann"}));
        assert_eq!(out["id"], "1");
        assert!(!p.wants("emails"));
        assert!(p.wants("groups"));
        let members = Projection::from_params(None, Some("members")).unwrap();
        assert!(!members.wants("members"));
        let only = Projection::from_params(Some("displayName"), None).unwrap();
        assert!(!only.wants("members"));
    }
}
