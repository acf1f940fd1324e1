//! Webhook subscriptions: where a practice's alerts go, in which format; a test event; and the
//! record of every delivery attempt.
//!
//! `subscriptions.rs` lists, creates, reads, changes and deletes subscriptions (checking every
//! value a caller sends); `delivery.rs` sends a test event and shows a webhook's deliveries.
//! The webhook id in their paths is parsed here, the same way for both.

mod delivery;
mod subscriptions;

use uuid::Uuid;

use crate::http::errors::WireError;

pub use delivery::{deliveries, test};
pub use subscriptions::{create, get_one, list, remove, update};

fn parse_id(id: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(id).map_err(|_| WireError::not_found("webhook not found"))
}
