//! SCIM resources in and out: turning a client's JSON into what we store (canonical attribute
//! names, coerced values, no nulls) and a stored record into the representation we return.
//!
//! Tolerated on input, because real IdPs send it: attribute names in any case (RFC 7643 §2.1);
//! `"True"`/`"False"` strings for booleans; `null` and `""` meaning "unassigned"; a single
//! value wrapped as `[{"value": …}]` (old Entra); `manager` as an object, a bare id string,
//! a one-element array or `{"value": ""}`; numbers where strings are expected (kept as text);
//! read-only attributes (`id`, `meta`, `groups`, `password`) and unknown attributes, which
//! are ignored (RFC 7644 §3.3).
//!
//! Here: which resource a document describes. `slots.rs` says where each key of a document
//! lands, `coercion.rs` coerces values, `input.rs` reads whole POST and PUT bodies, and
//! `render.rs` writes the representation we return.

mod coercion;
mod input;
mod render;
mod slots;

use super::schema::{Attr, GROUP_ATTRS, GROUP_URN, USER_ATTRS, USER_URN};
use crate::http::errors::WireError;

pub use coercion::{MAX_KEY_BYTES, MAX_VALUE_BYTES, checked, coerce, text};
pub use input::{group_from_json, member_ids, user_from_json};
pub use render::{render_group, render_user};
pub use slots::{Slot, put, slot};

/// Which resource a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn core_attrs(self) -> &'static [Attr] {
        match self {
            ResourceKind::User => &USER_ATTRS,
            ResourceKind::Group => &GROUP_ATTRS,
        }
    }

    pub fn core_urn(self) -> &'static str {
        match self {
            ResourceKind::User => USER_URN,
            ResourceKind::Group => GROUP_URN,
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }
}

pub fn invalid_value(detail: impl Into<String>) -> WireError {
    WireError::bad_request(detail).with_scim_type("invalidValue")
}
