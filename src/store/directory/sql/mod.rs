//! Compiles a resolved filter ([`Predicate`]) to one SQL boolean expression for SQLite or
//! PostgreSQL. Every value from a request is a bound parameter; only schema-derived names and
//! fixed fragments become SQL text.
//!
//! Under `not (…)`, comparisons are wrapped in `COALESCE(…, 1=0)` so a missing attribute is
//! "false" and `not` means "does not match" rather than SQL's unknown. Elsewhere a NULL already
//! acts as false in a WHERE clause, and a bare comparison keeps indexes usable (`userName eq`
//! is an index lookup).
//!
//! Here: the walk of the predicate tree (`AND`, `OR`, `NOT`, `pr`, element filters) and the
//! value each field reads on each backend. `compare.rs` writes the comparisons themselves
//! (`eq` to `le`, `co`, `sw`, `ew`, ids and booleans); `sort.rs` gives a listing's ORDER BY.

mod compare;
mod sort;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DbBackend, Value};
use uuid::Uuid;

use crate::domain::query::{Field, FieldKind, Predicate};

pub use sort::in_listing_order;

/// Which table a predicate is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    fn table(self) -> &'static str {
        match self {
            Resource::User => "scim_user",
            Resource::Group => "scim_group",
        }
    }

    fn key_column(self) -> &'static str {
        match self {
            Resource::User => "user_name_key",
            Resource::Group => "display_name_key",
        }
    }
}

/// Why a predicate cannot be compiled: a combination the resolver should not have produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported filter: {0}")]
pub struct Unsupported(pub String);

pub fn compile(
    predicate: &Predicate,
    resource: Resource,
    backend: DbBackend,
) -> Result<SimpleExpr, Unsupported> {
    let mut sql = Sql {
        backend,
        resource,
        text: String::new(),
        params: Vec::new(),
        element_depth: 0,
        negated: 0,
    };
    sql.predicate(predicate)?;
    Ok(Expr::cust_with_values(sql.text, sql.params))
}

struct Sql {
    backend: DbBackend,
    resource: Resource,
    text: String,
    params: Vec<Value>,
    /// Nesting of `AnyElement`; element aliases are `e1`, `e2`, …
    element_depth: usize,
    /// Nesting of `NOT`: only under one does a NULL comparison need turning into false.
    negated: usize,
}

impl Sql {
    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    fn param(&mut self, value: impl Into<Value>) {
        self.params.push(value.into());
        if self.pg() {
            self.text.push_str(&format!("${}", self.params.len()));
        } else {
            self.text.push('?');
        }
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn column(&mut self, column: &str) {
        let table = self.resource.table();
        self.push(&format!("\"{table}\".\"{column}\""));
    }

    fn predicate(&mut self, predicate: &Predicate) -> Result<(), Unsupported> {
        match predicate {
            Predicate::Constant(true) => self.push("(1=1)"),
            Predicate::Constant(false) => self.push("(1=0)"),
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                let joiner = if matches!(predicate, Predicate::And(..)) {
                    " AND "
                } else {
                    " OR "
                };
                self.push("(");
                self.predicate(a)?;
                self.push(joiner);
                self.predicate(b)?;
                self.push(")");
            }
            Predicate::Not(inner) => {
                self.negated += 1;
                self.push("(NOT ");
                self.predicate(inner)?;
                self.push(")");
                self.negated -= 1;
            }
            Predicate::Present(field) => self.present(field)?,
            Predicate::Compare { field, op, value } if self.negated > 0 => {
                self.push("COALESCE((");
                self.compare(field, *op, value)?;
                self.push("), 1=0)");
            }
            Predicate::Compare { field, op, value } => {
                self.push("(");
                self.compare(field, *op, value)?;
                self.push(")");
            }
            Predicate::AnyElement { attr, inner } => self.any_element(attr, inner)?,
        }
        Ok(())
    }

    /// The SQL value expression of a document or element field.
    fn value_of(&mut self, field: &Field) -> Result<(), Unsupported> {
        match field {
            Field::Document { path, .. } => {
                if self.pg() {
                    self.push("(");
                    self.column("search");
                    for (i, key) in path.iter().enumerate() {
                        self.push(if i + 1 == path.len() { " ->> " } else { " -> " });
                        self.param(key.clone());
                    }
                    self.push(")");
                } else {
                    self.push("json_extract(");
                    self.column("search");
                    self.push(", ");
                    self.param(json_path(path));
                    self.push(")");
                }
            }
            Field::Element { key, .. } => {
                let alias = format!("e{}", self.element_depth);
                if self.pg() {
                    self.push(&format!("({alias}.value ->> "));
                    self.param(key.clone());
                    self.push(")");
                } else {
                    self.push(&format!("json_extract({alias}.value, "));
                    self.param(json_path(std::slice::from_ref(key)));
                    self.push(")");
                }
            }
            Field::Key => self.column(self.resource.key_column()),
            Field::ExternalId => self.column("external_id"),
            Field::Active => self.column("active"),
            Field::Created => self.column("created_at"),
            Field::LastModified => self.column("updated_at"),
            Field::Id | Field::Membership => {
                return Err(Unsupported(format!("{field:?} has no scalar value")));
            }
        }
        Ok(())
    }

    fn present(&mut self, field: &Field) -> Result<(), Unsupported> {
        match field {
            Field::Id | Field::Key | Field::Active | Field::Created | Field::LastModified => {
                self.push("(1=1)");
            }
            Field::ExternalId => {
                self.push("(");
                self.column("external_id");
                self.push(" IS NOT NULL)");
            }
            Field::Document { kind, .. } | Field::Element { kind, .. } => {
                self.push("COALESCE((");
                self.value_of(field)?;
                match kind {
                    FieldKind::Text => {
                        self.push(" <> ''), 1=0)");
                    }
                    FieldKind::Boolean => {
                        self.push(" IS NOT NULL), 1=0)");
                    }
                }
            }
            Field::Membership => self.membership(None),
        }
        Ok(())
    }

    /// Users: belongs to group `id` (any group when `None`). Groups: has member `id`.
    fn membership(&mut self, id: Option<Uuid>) {
        let table = self.resource.table();
        let (own, other) = match self.resource {
            Resource::User => ("user_id", "group_id"),
            Resource::Group => ("group_id", "user_id"),
        };
        self.push(&format!(
            "EXISTS (SELECT 1 FROM \"scim_group_member\" m WHERE m.\"{own}\" = \"{table}\".\"id\""
        ));
        if let Some(id) = id {
            self.push(&format!(" AND m.\"{other}\" = "));
            self.param(id);
        }
        self.push(")");
    }

    fn any_element(&mut self, attr: &[String], inner: &Predicate) -> Result<(), Unsupported> {
        self.element_depth += 1;
        let alias = format!("e{}", self.element_depth);
        self.push("EXISTS (SELECT 1 FROM ");
        if self.pg() {
            // jsonb_array_elements fails on non-arrays; guard with jsonb_typeof.
            self.push("jsonb_array_elements(CASE WHEN jsonb_typeof(");
            self.array_of(attr);
            self.push(") = 'array' THEN ");
            self.array_of(attr);
            self.push(&format!(" ELSE '[]'::jsonb END) AS {alias}"));
        } else {
            self.push("json_each(");
            self.column("search");
            self.push(", ");
            self.param(json_path(attr));
            self.push(&format!(") AS {alias}"));
        }
        self.push(" WHERE ");
        self.predicate(inner)?;
        self.push(")");
        self.element_depth -= 1;
        Ok(())
    }

    /// PostgreSQL: the jsonb value at `path` in the search document.
    fn array_of(&mut self, path: &[String]) {
        self.push("(");
        self.column("search");
        for key in path {
            self.push(" -> ");
            self.param(key.clone());
        }
        self.push(")");
    }
}

/// SQLite JSON path with every key quoted: `$."urn:…:User"."department"`.
fn json_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for key in keys {
        path.push_str(&format!(".\"{}\"", key.replace('"', "\\\"")));
    }
    path
}
