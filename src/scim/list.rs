//! Listing: query parameters and SearchRequest bodies (RFC 7644 §3.4.2, §3.4.3) into a
//! [`ListQuery`] and a [`Projection`], and the ListResponse envelope.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::filter::parse_filter;
use super::projection::Projection;
use super::resolve::{invalid_filter, resolve};
use super::resource::{ResourceKind, invalid_value};
use crate::domain::query::{ListQuery, Sort, SortField};
use crate::http::errors::WireError;

pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Most resources one page returns (advertised as `filter.maxResults`).
pub const MAX_RESULTS: u64 = 1000;
/// Page size when the client gives no `count`.
pub const DEFAULT_COUNT: u64 = 100;

/// The request parts of a listing, whether from a query string or a SearchRequest body.
#[derive(Debug, Default)]
pub struct ListRequest {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
}

impl ListRequest {
    /// From query parameters; names are matched case-insensitively, unknown ones ignored
    /// (Entra appends its own flags to the URL).
    pub fn from_query(params: &HashMap<String, String>) -> Result<Self, WireError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let int = |name: &str| -> Result<Option<i64>, WireError> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| invalid_value(format!("`{name}` must be an integer")))
                })
                .transpose()
        };
        let list = |name: &str| -> Vec<String> {
            get(name)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            filter: get("filter"),
            start_index: int("startIndex")?,
            count: int("count")?,
            sort_by: get("sortBy"),
            sort_order: get("sortOrder"),
            attributes: list("attributes"),
            excluded_attributes: list("excludedAttributes"),
        })
    }

    /// From a `POST …/.search` SearchRequest body.
    pub fn from_search_body(body: &Value) -> Result<Self, WireError> {
        let object = body.as_object().ok_or_else(|| {
            WireError::bad_request("a SearchRequest must be a JSON object")
                .with_scim_type("invalidSyntax")
        })?;
        let get = |name: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let text = |name: &str| -> Result<Option<String>, WireError> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid_value(format!("`{name}` must be a string"))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>, WireError> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| invalid_value(format!("`{name}` must be an integer"))),
                Some(Value::String(s)) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| invalid_value(format!("`{name}` must be an integer"))),
                Some(_) => Err(invalid_value(format!("`{name}` must be an integer"))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, WireError> {
            match get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid_value(format!("`{name}` must list strings")))
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(s.split(',').map(|p| p.trim().to_owned()).collect()),
                Some(_) => Err(invalid_value(format!(
                    "`{name}` must be an array of strings"
                ))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            start_index: int("startIndex")?,
            count: int("count")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            attributes: list("attributes")?,
            excluded_attributes: list("excludedAttributes")?,
        })
    }

    pub fn projection(&self) -> Result<Projection, WireError> {
        Projection::from_lists(&self.attributes, &self.excluded_attributes)
    }

    /// The store query: parsed and resolved filter, sort, and 1-based paging. A `startIndex`
    /// below 1 means 1 and a negative `count` means 0 (RFC 7644 §3.4.2.4).
    pub fn query(&self, kind: ResourceKind) -> Result<ListQuery, WireError> {
        let filter = match self.filter.as_deref() {
            Some(text) => {
                let parsed = parse_filter(text)
                    .map_err(|e| invalid_filter(format!("invalid filter: {e}")))?;
                Some(resolve(&parsed, kind)?)
            }
            None => None,
        };
        let start_index = u64::try_from(self.start_index.unwrap_or(1).max(1)).unwrap_or(1);
        let count = match self.count {
            Some(c) => u64::try_from(c.max(0)).unwrap_or(0).min(MAX_RESULTS),
            None => DEFAULT_COUNT,
        };
        Ok(ListQuery {
            filter,
            sort: self.sort(kind)?,
            start_index,
            count,
        })
    }

    fn sort(&self, kind: ResourceKind) -> Result<Option<Sort>, WireError> {
        let Some(by) = self
            .sort_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Ok(None);
        };
        let name = by
            .rsplit_once(':')
            .map_or(by, |(_, n)| n)
            .to_ascii_lowercase();
        let field = match (kind, name.as_str()) {
            (ResourceKind::User, "username") => SortField::Key,
            (ResourceKind::User, "displayname") => SortField::DisplayName,
            (ResourceKind::Group, "displayname") => SortField::Key,
            (_, "meta.created") => SortField::Created,
            (_, "meta.lastmodified") => SortField::LastModified,
            _ => {
                return Err(invalid_value(format!(
                    "cannot sort by `{by}`; sortable: userName, displayName, meta.created, meta.lastModified"
                )));
            }
        };
        let descending = match self
            .sort_order
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("ascending") => false,
            Some("descending") => true,
            Some(other) => {
                return Err(invalid_value(format!(
                    "sortOrder `{other}` must be ascending or descending"
                )));
            }
        };
        Ok(Some(Sort { field, descending }))
    }
}

/// The ListResponse envelope (RFC 7644 §3.4.2). Integers are JSON numbers; `Resources` is
/// always present.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    let mut envelope = json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
    });
    // Moved in, not through `json!`, which would serialize a copy of every resource.
    envelope["Resources"] = Value::Array(resources);
    envelope
}
