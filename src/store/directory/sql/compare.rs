//! Comparisons: how each operator reads on each backend, for text (byte order, `co`, `sw`,
//! `ew`, and `ne` matching a missing value), booleans, timestamps, and ids (a value that is
//! not a UUID matches nothing).

use uuid::Uuid;

use super::{Sql, Unsupported};
use crate::domain::query::{CompareOp, Field, FieldKind, Literal};

impl Sql {
    pub(super) fn compare(
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
