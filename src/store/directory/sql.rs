//! Compiles a resolved filter ([`Predicate`]) to one SQL boolean expression for SQLite or
//! PostgreSQL. Every value from a request is a bound parameter; only schema-derived names and
//! fixed fragments become SQL text.
//!
//! Under `not (…)`, comparisons are wrapped in `COALESCE(…, 1=0)` so a missing attribute is
//! "false" and `not` means "does not match" rather than SQL's unknown. Elsewhere a NULL already
//! acts as false in a WHERE clause, and a bare comparison keeps indexes usable (`userName eq`
//! is an index lookup).

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{DbBackend, Value};
use uuid::Uuid;

use crate::domain::query::{CompareOp, Field, FieldKind, Literal, Predicate, Sort, SortField};

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

/// The ORDER BY expression for a sort, ascending or descending handled by the caller.
pub fn sort_expr(sort: Sort, resource: Resource, backend: DbBackend) -> SimpleExpr {
    let table = resource.table();
    let column = |c: &str| Expr::cust(format!("\"{table}\".\"{c}\""));
    match (sort.field, resource) {
        (SortField::Key, _) | (SortField::DisplayName, Resource::Group) => {
            column(resource.key_column())
        }
        (SortField::DisplayName, Resource::User) => match backend {
            DbBackend::Postgres => {
                Expr::cust(format!("(\"{table}\".\"search\" ->> 'displayName')"))
            }
            _ => Expr::cust(format!(
                "json_extract(\"{table}\".\"search\", '$.displayName')"
            )),
        },
        (SortField::Created, _) => column("created_at"),
        (SortField::LastModified, _) => column("updated_at"),
    }
}

/// Resources without the sort attribute come last ascending, first descending (RFC 7644
/// §3.4.2.3), the same on both backends.
pub fn missing_last(sort: Sort) -> sea_orm::sea_query::NullOrdering {
    if sort.descending {
        sea_orm::sea_query::NullOrdering::First
    } else {
        sea_orm::sea_query::NullOrdering::Last
    }
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

    fn compare(
        &mut self,
        field: &Field,
        op: CompareOp,
        value: &Literal,
    ) -> Result<(), Unsupported> {
        match (field, value) {
            (Field::Id, Literal::Text(text)) => self.uuid_compare(op, text, |sql, id| {
                sql.column("id");
                sql.push(" = ");
                sql.param(id);
            }),
            (Field::Membership, Literal::Text(text)) => {
                self.uuid_compare(op, text, |sql, id| sql.membership(Some(id)))
            }
            (Field::Active, Literal::Bool(b)) => {
                self.column("active");
                self.push(eq_or_ne(op)?);
                self.param(*b);
                Ok(())
            }
            (
                Field::Document {
                    kind: FieldKind::Boolean,
                    ..
                },
                Literal::Bool(b),
            )
            | (
                Field::Element {
                    kind: FieldKind::Boolean,
                    ..
                },
                Literal::Bool(b),
            ) => {
                self.value_of(field)?;
                self.push(eq_or_ne(op)?);
                // SQLite's json_extract gives 1/0 for JSON booleans; PostgreSQL's ->> gives text.
                if self.pg() {
                    self.param(if *b { "true" } else { "false" });
                } else {
                    self.param(i32::from(*b));
                }
                Ok(())
            }
            (Field::Created | Field::LastModified, Literal::Time(at)) => {
                self.value_of(field)?;
                self.push(ordering(op)?);
                self.param(*at);
                Ok(())
            }
            (
                Field::Key | Field::ExternalId | Field::Document { .. } | Field::Element { .. },
                Literal::Text(text),
            ) => self.text_compare(field, op, text),
            _ => Err(Unsupported(format!("{field:?} compared with {value:?}"))),
        }
    }

    fn text_compare(
        &mut self,
        field: &Field,
        op: CompareOp,
        text: &str,
    ) -> Result<(), Unsupported> {
        // Every string contains, starts and ends with "": true wherever there is a value
        // (and identical on both backends, whose substring functions disagree about 0).
        if text.is_empty() && matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
            self.value_of(field)?;
            self.push(" IS NOT NULL");
            return Ok(());
        }
        let text = text.to_owned();
        match op {
            CompareOp::Co => {
                self.push(if self.pg() { "strpos(" } else { "instr(" });
                self.value_of(field)?;
                self.push(", ");
                self.param(text);
                self.push(") > 0");
            }
            CompareOp::Sw => {
                self.push("substr(");
                self.value_of(field)?;
                self.push(", 1, length(");
                self.param(text.clone());
                self.push(")) = ");
                self.param(text);
            }
            CompareOp::Ew => {
                if self.pg() {
                    self.push("right(");
                    self.value_of(field)?;
                    self.push(", length(");
                    self.param(text.clone());
                    self.push(")) = ");
                } else {
                    self.push("substr(");
                    self.value_of(field)?;
                    self.push(", -length(");
                    self.param(text.clone());
                    self.push(")) = ");
                }
                self.param(text);
            }
            CompareOp::Ne => {
                // A missing value is "not equal".
                self.push("COALESCE(");
                self.value_of(field)?;
                self.push(" <> ");
                self.param(text);
                self.push(", 1=1)");
            }
            _ => {
                self.value_of(field)?;
                // Byte order on both backends, whatever PostgreSQL's default collation.
                if self.pg() && op != CompareOp::Eq {
                    self.push(" COLLATE \"C\"");
                }
                self.push(ordering(op)?);
                self.param(text);
            }
        }
        Ok(())
    }

    /// `eq`/`ne` on an id: a value that is not a UUID matches nothing (or everything, for ne).
    fn uuid_compare(
        &mut self,
        op: CompareOp,
        text: &str,
        matches: impl FnOnce(&mut Self, Uuid),
    ) -> Result<(), Unsupported> {
        let negate = match op {
            CompareOp::Eq => false,
            CompareOp::Ne => true,
            _ => return Err(Unsupported("ids compare with eq and ne only".into())),
        };
        match Uuid::try_parse(text) {
            Ok(id) => {
                self.push(if negate { "NOT (" } else { "(" });
                matches(self, id);
                self.push(")");
            }
            Err(_) => self.push(if negate { "(1=1)" } else { "(1=0)" }),
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

fn eq_or_ne(op: CompareOp) -> Result<&'static str, Unsupported> {
    match op {
        CompareOp::Eq => Ok(" = "),
        CompareOp::Ne => Ok(" <> "),
        _ => Err(Unsupported("booleans compare with eq and ne only".into())),
    }
}

fn ordering(op: CompareOp) -> Result<&'static str, Unsupported> {
    Ok(match op {
        CompareOp::Eq => " = ",
        CompareOp::Ne => " <> ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        _ => return Err(Unsupported(format!("{op:?} does not apply here"))),
    })
}

/// SQLite JSON path with every key quoted: `$."urn:…:User"."department"`.
fn json_path(keys: &[String]) -> String {
    let mut path = String::from("$");
    for key in keys {
        path.push_str(&format!(".\"{}\"", key.replace('"', "\\\"")));
    }
    path
}
