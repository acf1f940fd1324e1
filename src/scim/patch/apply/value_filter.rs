//! Reading a value filter against the elements of a multi-valued attribute, in memory: which
//! elements it selects, and the element an `eq` filter describes (for upserts).

use serde_json::{Map, Value};

use crate::domain::query::{AttrPath, CompValue, CompareOp, Filter};
use crate::http::errors::WireError;
use crate::scim::patch::error;
use crate::scim::schema::Attr;

/// Evaluates a value filter against one element, in memory (the element is already loaded).
pub(super) fn element_matches(
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

/// For an `a eq "x"` (or `a eq "x" and b eq "y"`) filter, the element it describes.
pub(super) fn upsert_seed(attr: &'static Attr, filter: &Filter) -> Option<Value> {
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
