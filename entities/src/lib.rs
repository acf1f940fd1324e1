//! sea-orm entities: one module per table. Plain data, no behaviour; the service's `store` layer
//! is the only user.

pub mod access_exclusion;
pub mod access_policy;
pub mod admin;
pub mod admin_identity;
pub mod admin_membership;
pub mod api_token;
pub mod audit_checkpoint;
pub mod audit_event;
pub mod console_oidc_login;
pub mod console_session;
pub mod console_sign_in_link;
pub mod directory_change;
pub mod directory_tally;
pub mod escalation_policy;
pub mod evidence_file;
pub mod lifecycle_event;
pub mod outbox_event;
pub mod portal_account;
pub mod portal_duty;
pub mod portal_import;
pub mod practice;
pub mod practice_portal;
pub mod review_campaign;
pub mod review_item;
pub mod roster_import;
pub mod scim_group;
pub mod scim_group_member;
pub mod scim_user;
pub mod service_account;
pub mod task;
pub mod training_record;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
