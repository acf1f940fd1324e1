//! `GET /api/v1/admins`: the practice's named administrators and their roles, so a user can
//! see who may claim, complete and verify work (operators add and deactivate them with
//! `portcullis admin`; a portal administrator adds and removes them in the console).

use actix_web::{HttpResponse, get};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::errors::WireError;
use crate::state::Caller;
use crate::store::admins::PracticeAdmin;

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// portal_admin, manager or auditor: the role in this practice.
    pub role: String,
    /// False once deactivated (`portcullis admin deactivate`) or taken off this practice's
    /// list (`removed_at`): listed, but cannot act here.
    pub active: bool,
    /// When a portal administrator took them off this practice's list (the console's
    /// Settings); null while they are on it.
    pub removed_at: Option<DateTime<Utc>>,
    /// When the administrator got a role in this practice.
    pub member_since: DateTime<Utc>,
}

impl From<PracticeAdmin> for AdminView {
    fn from(p: PracticeAdmin) -> Self {
        Self {
            id: p.admin.id,
            email: p.admin.email,
            name: p.admin.name,
            role: p.role.as_str().to_owned(),
            active: p.admin.active && p.removed_at.is_none(),
            removed_at: p.removed_at,
            member_since: p.member_since,
        }
    }
}

list_of!(
    /// The practice's administrators, by e-mail.
    AdminList,
    AdminView
);

/// The practice's named administrators, deactivated ones included.
#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "Every administrator with a role in the practice, by e-mail", body = AdminList),
    )
)]
#[get("/admins")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let admins: Vec<AdminView> = call
        .store()
        .list_admins()
        .await?
        .into_iter()
        .map(AdminView::from)
        .collect();
    Ok(HttpResponse::Ok().json(AdminList::whole(admins)))
}
