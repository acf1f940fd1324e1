//! sea-orm entities: one module per table. Plain data, no behaviour; the service's `store` layer
//! is the only user.

pub mod api_token;
pub mod practice;
