//! The domain's closed vocabularies (`domain::task`), bound and read by sea-orm directly: a
//! query says `task::Column::State.eq(TaskState::Open)` and a row reads back a `TaskState`, so
//! no spelling of a state, kind or event is written out anywhere in the store.
//!
//! The `entities` crate sits below the domain and cannot name these types, so its models keep
//! the columns as text; the store reads rows straight into its typed records
//! (`tasks::TaskRecord`, via `FromQueryResult`) whose fields are these enums, and writes
//! `ActiveModel`s through [`text`].

use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};

use crate::domain::delivery::DeliveryState;
use crate::domain::task::{AccountStatus, EventKind, Outcome, RoleList, TaskKind, TaskState};

/// The stored text of a vocabulary value, for an `ActiveModel`'s text column.
pub(crate) fn text(value: impl Into<Value>) -> String {
    match value.into() {
        Value::String(Some(text)) => text,
        _ => String::new(),
    }
}

macro_rules! bind_vocabulary {
    ($($name:ident),+) => {$(
        impl From<$name> for Value {
            fn from(value: $name) -> Value {
                Value::String(Some(value.as_str().to_owned()))
            }
        }

        impl Nullable for $name {
            fn null() -> Value {
                Value::String(None)
            }
        }

        impl ValueType for $name {
            fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
                match v {
                    Value::String(Some(text)) => $name::parse(&text).ok_or(ValueTypeErr),
                    _ => Err(ValueTypeErr),
                }
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::None)
            }
        }

        impl TryGetable for $name {
            fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
                let text = String::try_get_by(res, index)?;
                $name::parse(&text).ok_or_else(|| {
                    TryGetError::DbErr(DbErr::Type(format!(
                        "stored {} `{text}` is not one this version knows",
                        stringify!($name)
                    )))
                })
            }
        }
    )+};
}

/// A task's role list is stored as a JSON array of slugs.
impl TryGetable for RoleList {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let stored = serde_json::Value::try_get_by(res, index)?;
        serde_json::from_value(stored).map_err(|e| {
            TryGetError::DbErr(DbErr::Type(format!("stored role list is invalid: {e}")))
        })
    }
}

bind_vocabulary!(
    TaskState,
    TaskKind,
    EventKind,
    Outcome,
    AccountStatus,
    DeliveryState
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_the_domain_spelling() {
        for state in TaskState::ALL {
            assert_eq!(text(*state), state.as_str());
            assert_eq!(
                <TaskState as ValueType>::try_from(Value::from(*state)).ok(),
                Some(*state)
            );
        }
        assert!(<TaskKind as ValueType>::try_from(Value::String(Some("nope".into()))).is_err());
    }
}
