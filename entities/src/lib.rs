//! sea-orm entities: one module per table. Plain data, no behaviour; the service's `store` layer
//! is the only user.

pub mod api_token;
pub mod directory_change;
pub mod practice;
pub mod scim_group;
pub mod scim_group_member;
pub mod scim_user;
