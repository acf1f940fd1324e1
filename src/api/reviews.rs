//! Access reviews: open a campaign (its snapshot is taken at once), list and read campaigns and
//! their items, decide items one at a time or several at once, close a campaign. Managers and
//! portal administrators run reviews; decisions are personal acts (a named administrator's
//! credential), and nobody decides their own access.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::admin::AdminRole;
use crate::domain::escalation::Interval;
use crate::domain::review::schedule::default_reminders;
use crate::domain::review::{Decision, NoAnswer, ReviewScope};
use crate::engine::reviews::{self, Decider, DecisionRequest};
use crate::http::errors::WireError;
use crate::http::instant::{PeriodEdge, instant_param};
use crate::http::json::Json;
use crate::http::query::Query;
use crate::state::Caller;
use crate::store::reviews::{Campaign, Item, ItemFilter, NewCampaign};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Which accounts: every account when left out.
    #[serde(default)]
    pub scope: ReviewScope,
    /// When reviewing starts (default: now): a date (the practice's time zone) or RFC 3339.
    pub starts_at: Option<String>,
    /// When decisions are due: a date (the whole day, the practice's time zone) or RFC 3339.
    pub deadline: String,
    /// What happens to an item nobody decided: `keep_and_flag` (default) or `revoke`.
    #[serde(default)]
    pub no_answer: NoAnswer,
    /// Portal slug → the e-mail of the administrator who reviews its items when the person's
    /// manager is not an administrator of the practice.
    #[serde(default)]
    pub portal_reviewers: BTreeMap<String, String>,
    /// Reminders to reviewers with undecided items, this long before the deadline (default
    /// `["7d", "48h"]`; `[]` for none). At the deadline, what is undecided escalates to the
    /// practice's managers (else its portal administrators).
    #[schema(value_type = Option<Vec<String>>, example = json!(["7d", "48h"]))]
    pub reminders: Option<Vec<Interval>>,
    /// When the review closes by itself (a date or RFC 3339, after the deadline); left out,
    /// an administrator closes it.
    pub closes_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub scope: ReviewScope,
    pub no_answer: NoAnswer,
    pub starts_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// `open` or `closed`.
    pub state: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A scheduled review's period (`2027-Q1`); null for one opened by hand.
    pub period: Option<String>,
    /// Reminders before the deadline, and how many have gone.
    #[schema(value_type = Vec<String>)]
    pub reminders: Vec<Interval>,
    pub reminders_sent: u32,
    /// When undecided items escalated to the fallback reviewers.
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it closes by itself; null: an administrator closes it.
    pub closes_at: Option<DateTime<Utc>>,
    /// Closed, and every removal verified: the report is frozen from then on.
    pub completed_at: Option<DateTime<Utc>>,
    /// The SHA-256 (hex) of the frozen report, as the audit trail records it.
    pub report_sha256: Option<String>,
    /// Accounts in the snapshot.
    pub items: u64,
    pub decided: u64,
    /// Items nobody may review (every candidate is the person themselves).
    pub unassigned: u64,
}

impl From<Campaign> for CampaignView {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id,
            name: c.name,
            scope: c.scope,
            no_answer: c.no_answer,
            starts_at: c.starts_at,
            deadline: c.deadline,
            state: c.state,
            created_by: c.created_by,
            created_at: c.created_at,
            closed_at: c.closed_at,
            period: c.period_key,
            reminders: c.reminders,
            reminders_sent: c.reminders_sent,
            escalated_at: c.escalated_at,
            closes_at: c.closes_at,
            completed_at: c.completed_at,
            report_sha256: c.report_sha256,
            items: c.items,
            decided: c.decided,
            unassigned: c.unassigned,
        }
    }
}

list_of!(
    /// The practice's access reviews, newest first.
    CampaignList,
    CampaignView
);

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub portal: String,
    pub username: Option<String>,
    /// The account's roles at the snapshot.
    pub roles: Vec<String>,
    /// What the reviewer needs, as of the snapshot: person, status (`active` or `leaver`,
    /// `left_at`), title, department, manager, portal name, `granted_by_policy` per role,
    /// `recorded_at`, `last_login` (when known), `open_tasks`.
    #[schema(value_type = Object)]
    pub context: serde_json::Value,
    pub reviewer_id: Option<Uuid>,
    /// `manager`, `portal`, `fallback` or `delegated`.
    pub reviewer_source: Option<String>,
    /// Who handed the item to its reviewer, and when.
    pub delegated_by: Option<String>,
    pub delegated_at: Option<DateTime<Utc>>,
    /// The person left after the snapshot was taken: when. The snapshot itself does not
    /// change.
    pub left_during_review: Option<DateTime<Utc>>,
    /// `keep`, `revoke`, `reduce`, or null while undecided.
    pub decision: Option<String>,
    pub removed_roles: Vec<String>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Once the review is closed: `kept`, `revoked`, `reduced` or `flagged` (kept without an
    /// answer: an exception in the report).
    pub outcome: Option<String>,
}

impl From<Item> for ItemView {
    fn from(i: Item) -> Self {
        Self {
            id: i.id,
            review_id: i.campaign_id,
            person_id: i.person_id,
            portal: i.portal,
            username: i.username,
            roles: i.roles,
            context: i.context,
            reviewer_id: i.reviewer_id,
            reviewer_source: i.reviewer_source,
            delegated_by: i.delegated_by,
            delegated_at: i.delegated_at,
            left_during_review: i.left_during_review,
            decision: i.decision,
            removed_roles: i.removed_roles,
            comment: i.comment,
            decided_by: i.decided_by,
            decided_at: i.decided_at,
            outcome: i.outcome,
        }
    }
}

list_of!(
    /// A review's items, by portal then person.
    ItemList,
    ItemView
);

fn review_id(raw: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(raw).map_err(|_| WireError::not_found("review not found"))
}

fn unprocessable(detail: impl Into<String>) -> WireError {
    WireError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
}

/// Open an access review: the snapshot of every account in scope is taken now, each with its
/// reviewer (the person's manager when an administrator, else the portal's named reviewer,
/// else a manager of the practice; never the person).
#[utoipa::path(
    tag = "admin",
    request_body = CampaignInput,
    responses(
        (status = 201, description = "Opened, with its snapshot", body = CampaignView),
        (status = 400, description = "Malformed body or date", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Empty name, a deadline not after the start, or an unknown reviewer", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/reviews")]
pub async fn open(call: Caller, body: Json<CampaignInput>) -> Result<HttpResponse, WireError> {
    let input = body.into_inner();
    let store = call.store();
    let practice = store.practice().await?;
    let tz = practice.time_zone.tz();
    let now = call.state.clock.now();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(unprocessable("`name` must be 1 to 200 characters"));
    }
    let starts_at = instant_param(
        "starts_at",
        input.starts_at.as_deref(),
        tz,
        PeriodEdge::Start,
    )?
    .unwrap_or(now);
    let deadline = instant_param("deadline", Some(&input.deadline), tz, PeriodEdge::End)?
        .ok_or_else(|| unprocessable("`deadline` is required"))?;
    if deadline <= starts_at || deadline <= now {
        return Err(unprocessable(
            "`deadline` must be after the start and in the future",
        ));
    }
    let closes_at = instant_param("closes_at", input.closes_at.as_deref(), tz, PeriodEdge::End)?;
    if closes_at.is_some_and(|at| at < deadline) {
        return Err(unprocessable("`closes_at` must not be before the deadline"));
    }
    let reminders = input.reminders.unwrap_or_else(default_reminders);
    if reminders.len() > 5 {
        return Err(unprocessable("`reminders`: at most 5"));
    }
    let mut portal_reviewers = BTreeMap::new();
    for (portal, email) in input.portal_reviewers {
        let admin = call.state.store.admin_by_email(&email).await.map_err(|_| {
            unprocessable(format!(
                "`portal_reviewers.{portal}`: no administrator {email}"
            ))
        })?;
        portal_reviewers.insert(portal, admin.id);
    }
    let new = NewCampaign {
        name,
        scope: input.scope,
        starts_at,
        deadline,
        no_answer: input.no_answer,
        portal_reviewers,
        period_key: None,
        reminders,
        closes_at,
    };
    let campaign = reviews::open(
        &store,
        &practice,
        new,
        &call.actor(),
        &call.state.public_url,
    )
    .await?;
    Ok(HttpResponse::Created().json(CampaignView::from(campaign)))
}

/// The practice's access reviews, newest first, with their progress.
#[utoipa::path(tag = "admin", responses((status = 200, description = "Reviews", body = CampaignList)))]
#[get("/reviews")]
pub async fn list(call: Caller) -> Result<HttpResponse, WireError> {
    let campaigns: Vec<CampaignView> = call
        .store()
        .campaigns()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(CampaignList::whole(campaigns)))
}

/// One access review with its progress.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, description = "The review", body = CampaignView),
        (status = 404, description = "No such review in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/reviews/{id}")]
pub async fn show(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let campaign = call.store().campaign(review_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(CampaignView::from(campaign)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// `me`, or an administrator's e-mail: that reviewer's items.
    pub reviewer: Option<String>,
    /// `undecided`, `keep`, `revoke` or `reduce`.
    pub decision: Option<String>,
    /// A portal's slug.
    pub portal: Option<String>,
}

/// A review's items with the context each reviewer sees, filtered by reviewer, decision or
/// portal.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id"), ItemsQuery),
    responses(
        (status = 200, description = "Items", body = ItemList),
        (status = 400, description = "Unknown filter value", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such review in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/reviews/{id}/items")]
pub async fn list_items(
    call: Caller,
    id: web::Path<String>,
    query: Query<ItemsQuery>,
) -> Result<HttpResponse, WireError> {
    let query = query.into_inner();
    let reviewer = match query.reviewer.as_deref() {
        None => None,
        Some("me") => Some(call.principal.admin.as_ref().map(|a| a.id).ok_or_else(|| {
            WireError::bad_request("`reviewer=me` needs a named administrator's credential")
        })?),
        Some(email) => Some(
            call.state
                .store
                .admin_by_email(email)
                .await
                .map_err(|_| {
                    WireError::bad_request(format!("`reviewer`: no administrator {email}"))
                })?
                .id,
        ),
    };
    if let Some(decision) = query.decision.as_deref()
        && decision != "undecided"
        && Decision::parse(decision).is_none()
    {
        return Err(WireError::bad_request(
            "`decision` must be undecided, keep, revoke or reduce",
        ));
    }
    let filter = ItemFilter {
        reviewer,
        portal: query.portal,
        decision: query.decision,
    };
    let found: Vec<ItemView> = call
        .store()
        .review_items(review_id(&id)?, &filter)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(ItemList::whole(found)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub decision: Decision,
    /// With `reduce`: the roles to remove (some, not all, of the account's).
    #[serde(default)]
    pub remove_roles: Vec<String>,
    /// Required for `revoke` and `reduce`.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisionInput {
    /// The items, all of this review.
    #[schema(min_items = 1, max_items = 500)]
    pub items: Vec<Uuid>,
    /// `keep` or `revoke`.
    pub decision: Decision,
    /// Required: why these were decided together.
    #[schema(max_length = 2000)]
    pub comment: String,
}

fn decider(call: &Caller) -> Result<Decider, WireError> {
    let admin = call.principal.admin.as_ref().ok_or_else(|| {
        WireError::forbidden("a decision needs a named administrator's credential")
    })?;
    Ok(Decider {
        admin_id: admin.id,
        oversees: matches!(admin.role, AdminRole::PortalAdmin | AdminRole::Manager),
    })
}

/// Decide one item: `keep`, `revoke` or `reduce` (with the roles to remove); a comment is
/// required for revoke and reduce. Revoke and reduce open the removal tasks at once (cause
/// `review`); a decision can be changed until the review closes.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id"), ("item" = String, Path, description = "The item's id")),
    request_body = DecisionInput,
    responses(
        (status = 200, description = "Recorded", body = ItemView),
        (status = 403, description = "Not a named administrator's credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such item in this review", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "No comment, roles the account does not hold, one's own access, another reviewer's item, or a closed review", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/reviews/{id}/items/{item}/decision")]
pub async fn decide(
    call: Caller,
    path: web::Path<(String, String)>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, WireError> {
    let (id, item) = path.into_inner();
    let review = review_id(&id)?;
    let item = Uuid::try_parse(&item).map_err(|_| WireError::not_found("review item not found"))?;
    let store = call.store();
    if store.review_item(item).await?.campaign_id != review {
        return Err(WireError::not_found("review item not found"));
    }
    let input = body.into_inner();
    let request = DecisionRequest {
        item,
        decision: input.decision,
        remove: input.remove_roles,
        comment: input.comment,
    };
    let decided =
        reviews::decide(&store, &[request], decider(&call)?, false, &call.actor()).await?;
    let item = decided.into_iter().next().ok_or_else(WireError::internal)?;
    Ok(HttpResponse::Ok().json(ItemView::from(item)))
}

/// Decide several items at once (`keep` or `revoke`, one comment for all): all or none.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id")),
    request_body = BulkDecisionInput,
    responses(
        (status = 200, description = "Recorded", body = ItemList),
        (status = 403, description = "Not a named administrator's credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "An item not in this review", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "No comment, `reduce`, too many items, or an item that may not be decided", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/reviews/{id}/decisions")]
pub async fn decide_many(
    call: Caller,
    id: web::Path<String>,
    body: Json<BulkDecisionInput>,
) -> Result<HttpResponse, WireError> {
    let review = review_id(&id)?;
    let input = body.into_inner();
    if input.decision == Decision::Reduce {
        return Err(unprocessable(
            "several items at once: keep or revoke, not reduce",
        ));
    }
    if input.items.is_empty() || input.items.len() > 500 {
        return Err(unprocessable("`items` lists 1 to 500 items"));
    }
    let store = call.store();
    for item in &input.items {
        if store.review_item(*item).await?.campaign_id != review {
            return Err(WireError::not_found("review item not found"));
        }
    }
    let requests: Vec<DecisionRequest> = input
        .items
        .iter()
        .map(|item| DecisionRequest {
            item: *item,
            decision: input.decision,
            remove: Vec::new(),
            comment: Some(input.comment.clone()),
        })
        .collect();
    let decided = reviews::decide(&store, &requests, decider(&call)?, true, &call.actor()).await?;
    let views: Vec<ItemView> = decided.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(ItemList::whole(views)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationInput {
    /// The administrator who decides it from now on: their id or e-mail.
    pub to: String,
    /// Why, for the trail.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Hand an item to another administrator of the practice (its reviewer, a manager or a
/// portal administrator may; never to the person under review). Audited.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id"), ("item" = String, Path, description = "The item's id")),
    request_body = DelegationInput,
    responses(
        (status = 200, description = "Handed over", body = ItemView),
        (status = 403, description = "Not a named administrator's credential", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such item in this review", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Not an administrator of the practice, the person themselves, another reviewer's item, or a closed review", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/reviews/{id}/items/{item}/delegate")]
pub async fn delegate(
    call: Caller,
    path: web::Path<(String, String)>,
    body: Json<DelegationInput>,
) -> Result<HttpResponse, WireError> {
    let (id, item) = path.into_inner();
    let review = review_id(&id)?;
    let item = Uuid::try_parse(&item).map_err(|_| WireError::not_found("review item not found"))?;
    let store = call.store();
    if store.review_item(item).await?.campaign_id != review {
        return Err(WireError::not_found("review item not found"));
    }
    let input = body.into_inner();
    let to = match Uuid::try_parse(input.to.trim()) {
        Ok(id) => id,
        Err(_) => {
            call.state
                .store
                .admin_by_email(input.to.trim())
                .await
                .map_err(|_| unprocessable(format!("`to`: no administrator {}", input.to)))?
                .id
        }
    };
    let handed = reviews::delegate(
        &store,
        item,
        to,
        input
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty()),
        decider(&call)?,
        &call.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ItemView::from(handed)))
}

/// Close a review: decisions become final; an item nobody decided is kept and flagged
/// (`keep_and_flag`) or revoked (`revoke`), as the review says.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id")),
    responses(
        (status = 200, description = "Closed", body = CampaignView),
        (status = 404, description = "No such review in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "Already closed", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/reviews/{id}/close")]
pub async fn close(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let id = review_id(&id)?;
    let store = call.store();
    reviews::close(&store, id, &call.actor()).await?;
    Ok(HttpResponse::Ok().json(CampaignView::from(store.campaign(id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The auditor's report: per account the decision, who, when and why, and for a removal the
/// task with who did it, when, its evidence and verification; counts; exceptions (kept
/// without an answer); `complete` once the review is closed and every removal verified. From
/// then on the report is frozen: the JSON served is byte for byte the report whose SHA-256
/// the audit trail records (`review.completed`), and the `X-Report-SHA256` header repeats it.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The review's id"), ReportQuery),
    responses(
        (status = 200, description = "The report (JSON, or CSV with format=csv)", body = reviews::Report),
        (status = 400, description = "Unknown format", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 404, description = "No such review in this practice", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/reviews/{id}/report")]
pub async fn report(
    call: Caller,
    id: web::Path<String>,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, WireError> {
    let csv = match query.into_inner().format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(WireError::bad_request("`format` must be json or csv")),
    };
    let id = review_id(&id)?;
    let store = call.store();
    let (report, frozen) =
        reviews::stored_or_live_report(&store, id, call.state.clock.now()).await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"review-{id}.csv\""),
            ))
            .body(report.csv()));
    }
    match frozen {
        Some((bytes, sha)) => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("X-Report-SHA256", sha))
            .body(bytes)),
        None => Ok(HttpResponse::Ok().json(report)),
    }
}
