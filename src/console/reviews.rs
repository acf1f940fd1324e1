//! Reviews: access review campaigns with their progress, "Open a review", and a campaign's
//! items with the context a reviewer needs and "Keep" / "Revoke" / "Reduce" per account (or
//! several kept at once with a comment). Decisions go through `engine::reviews`, as in the
//! API: a revocation opens its removal task at once.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Act, SignedIn};
use super::view::{Frame, NoticeQuery, When, notice_link};
use super::{render, see_other};
use crate::domain::admin::{AdminRole, Need};
use crate::domain::review::{CampaignState, Decision, NoAnswer, ReviewScope};
use crate::engine::reviews::{self, Decider, DecisionRequest};
use crate::http::errors::WireError;
use crate::http::instant::day_start;
use crate::store::StoreError;
use crate::store::reviews::{ItemFilter, NewCampaign};

struct CampaignRow {
    id: String,
    name: String,
    state: String,
    deadline: When,
    items: u64,
    decided: u64,
    mine: usize,
}

#[derive(Template)]
#[template(path = "reviews.html", config = "src/console/askama.toml")]
struct ReviewsPage {
    frame: Frame,
    campaigns: Vec<CampaignRow>,
    portals: Vec<(String, String)>,
    default_deadline: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn reviews_page(
    me: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let tz = me.session.practice.time_zone.tz();
    let now = me.now();
    let mut campaigns = Vec::new();
    for c in store.campaigns().await? {
        let mine = store
            .review_items(
                c.id,
                &ItemFilter {
                    reviewer: Some(me.session.admin.id),
                    decision: Some("undecided".into()),
                    ..ItemFilter::default()
                },
            )
            .await?
            .len();
        campaigns.push(CampaignRow {
            id: c.id.to_string(),
            deadline: When::due(c.deadline, now, tz, c.state == CampaignState::Open.as_str()),
            name: c.name,
            state: c.state,
            items: c.items,
            decided: c.decided,
            mine,
        });
    }
    let portals = store
        .practice_portals()
        .await?
        .into_values()
        .map(|p| (p.portal.slug, p.portal.name))
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    let default_deadline = today
        .checked_add_days(chrono::Days::new(30))
        .unwrap_or(today)
        .to_string();
    let status = if error.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    let mut response = render(&ReviewsPage {
        frame: Frame::load(me, "Reviews", "Reviews").await?,
        campaigns,
        portals,
        default_deadline,
        notice,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /console/reviews`: the campaigns, with how far each has come.
#[get("/reviews")]
pub async fn list(me: SignedIn, query: web::Query<NoticeQuery>) -> Result<HttpResponse, WireError> {
    reviews_page(&me, query.shown(&me), None).await
}

#[derive(Debug, Deserialize)]
pub struct OpenForm {
    name: String,
    deadline: String,
    no_answer: String,
}

/// `POST /console/reviews`: open a campaign (its snapshot is taken now).
#[post("/reviews")]
pub async fn open_review(act: Act<OpenForm>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let form = &act.form;
    let tz = me.session.practice.time_zone.tz();
    let portals: Vec<String> = act
        .fields
        .iter()
        .filter(|(k, _)| k == "portal")
        .map(|(_, v)| v.clone())
        .collect();
    let checked = (|| {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err("the name is 1 to 200 characters".to_owned());
        }
        let day = NaiveDate::parse_from_str(form.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| "the deadline is a date such as 2027-01-31".to_owned())?;
        let deadline = day_start(
            day.checked_add_days(chrono::Days::new(1)).unwrap_or(day),
            tz,
        );
        if deadline <= me.now() || day.year() > 9999 {
            return Err("the deadline must be in the future".to_owned());
        }
        let no_answer = NoAnswer::parse(&form.no_answer)
            .ok_or_else(|| "choose what happens to an item nobody decided".to_owned())?;
        Ok((name.to_owned(), deadline, no_answer))
    })();
    let (name, deadline, no_answer) = match checked {
        Ok(found) => found,
        Err(why) => return reviews_page(me, None, Some(why)).await,
    };
    let opened = me
        .store()
        .open_campaign(
            NewCampaign {
                name,
                scope: ReviewScope {
                    portals,
                    sensitivities: Vec::new(),
                },
                starts_at: me.now(),
                deadline,
                no_answer,
                portal_reviewers: Default::default(),
                period_key: None,
            },
            &me.actor(),
        )
        .await;
    match opened {
        Ok(campaign) => Ok(see_other(&notice_link(
            me,
            &format!("/console/reviews/{}", campaign.id),
            &format!("Review opened: {} accounts to decide.", campaign.items),
        ))),
        Err(StoreError::Refused(why)) => reviews_page(me, None, Some(why)).await,
        Err(other) => Err(other.into()),
    }
}

struct ItemRow {
    id: String,
    person: String,
    user_name: String,
    status: String,
    title: String,
    department: String,
    manager: String,
    portal: String,
    username: String,
    roles: Vec<(String, bool)>,
    open_tasks: u64,
    reviewer: String,
    decision: String,
    comment: String,
    outcome: String,
    may_decide: bool,
}

#[derive(Template)]
#[template(path = "review.html", config = "src/console/askama.toml")]
struct ReviewPage {
    frame: Frame,
    id: String,
    name: String,
    open: bool,
    deadline: When,
    items_total: u64,
    decided: u64,
    rows: Vec<ItemRow>,
    mine_only: bool,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    mine: Option<String>,
    notice: Option<String>,
    ns: Option<String>,
}

fn review_id(text: &str) -> Result<Uuid, WireError> {
    Uuid::try_parse(text).map_err(|_| WireError::not_found("review not found"))
}

/// `GET /console/reviews/{id}[?mine=1]`: the items, each with what the reviewer needs.
#[get("/reviews/{id}")]
pub async fn page(
    me: SignedIn,
    id: web::Path<String>,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, WireError> {
    let id = review_id(&id)?;
    let store = me.store();
    let campaign = store.campaign(id).await?;
    let mine_only = query.mine.is_some();
    let filter = ItemFilter {
        reviewer: mine_only.then_some(me.session.admin.id),
        ..ItemFilter::default()
    };
    let admins: std::collections::HashMap<Uuid, String> = store
        .list_admins()
        .await?
        .into_iter()
        .map(|a| (a.admin.id, a.admin.name))
        .collect();
    let is_open = campaign.state == CampaignState::Open.as_str();
    let oversees = me.may(Need::Oversee);
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let rows = store
        .review_items(id, &filter)
        .await?
        .into_iter()
        .map(|i| {
            let context = &i.context;
            ItemRow {
                id: i.id.to_string(),
                person: text(&context["person"]),
                user_name: text(&context["user_name"]),
                status: text(&context["status"]),
                title: text(&context["title"]),
                department: text(&context["department"]),
                manager: text(&context["manager"]),
                portal: text(&context["portal_name"]),
                username: i.username.clone().unwrap_or_default(),
                roles: i
                    .roles
                    .iter()
                    .map(|r| {
                        let granted = context["granted_by_policy"][r].as_bool().unwrap_or(false);
                        (r.clone(), granted)
                    })
                    .collect(),
                open_tasks: context["open_tasks"].as_u64().unwrap_or(0),
                reviewer: i
                    .reviewer_id
                    .and_then(|r| admins.get(&r).cloned())
                    .unwrap_or_else(|| {
                        "unassigned: any manager or portal administrator but the person".to_owned()
                    }),
                decision: i.decision.clone().unwrap_or_default(),
                comment: i.comment.clone().unwrap_or_default(),
                outcome: i.outcome.clone().unwrap_or_default(),
                may_decide: is_open && (i.reviewer_id == Some(me.session.admin.id) || oversees),
            }
        })
        .collect();
    let tz = me.session.practice.time_zone.tz();
    render(&ReviewPage {
        frame: Frame::load(&me, campaign.name.clone(), "Reviews").await?,
        id: id.to_string(),
        name: campaign.name,
        open: is_open,
        deadline: When::due(campaign.deadline, me.now(), tz, is_open),
        items_total: campaign.items,
        decided: campaign.decided,
        rows,
        mine_only,
        notice: super::view::shown_notice(&me, &query.notice, &query.ns),
    })
}

fn decider(me: &SignedIn) -> Decider {
    Decider {
        admin_id: me.session.admin.id,
        oversees: matches!(me.session.role, AdminRole::PortalAdmin | AdminRole::Manager),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

/// `POST /console/reviews/{id}/items/{item}`: "Keep", "Revoke" or "Reduce" (ticked roles).
#[post("/reviews/{id}/items/{item}")]
pub async fn decide(
    act: Act<DecisionForm>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let (id, item) = path.into_inner();
    let review = review_id(&id)?;
    let item = Uuid::try_parse(&item).map_err(|_| WireError::not_found("review item not found"))?;
    let store = me.store();
    if store.review_item(item).await?.campaign_id != review {
        return Err(WireError::not_found("review item not found"));
    }
    let decision = Decision::parse(&act.form.decision)
        .ok_or_else(|| WireError::bad_request("the form says neither Keep, Revoke nor Reduce"))?;
    let remove: Vec<String> = act
        .fields
        .iter()
        .filter(|(k, _)| k == "remove")
        .map(|(_, v)| v.clone())
        .collect();
    let comment = Some(act.form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let request = DecisionRequest {
        item,
        decision,
        remove,
        comment,
    };
    let said = match reviews::decide(&store, &[request], decider(me), false, &me.actor()).await {
        Ok(_) => match decision {
            Decision::Keep => "Kept.".to_owned(),
            Decision::Revoke => "Revoked: the removal task is in the queue.".to_owned(),
            Decision::Reduce => {
                "Reduced: the task to remove those roles is in the queue.".to_owned()
            }
        },
        Err(StoreError::Refused(why)) => format!("Not recorded: {why}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}#item-{item}"),
        &said,
    )))
}

#[derive(Debug, Deserialize)]
pub struct KeepForm {
    #[serde(default)]
    comment: String,
}

/// `POST /console/reviews/{id}/keep`: keep the ticked items, with one comment for all.
#[post("/reviews/{id}/keep")]
pub async fn keep_many(
    act: Act<KeepForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let review = review_id(&id)?;
    let store = me.store();
    let mut requests = Vec::new();
    for (_, value) in act.fields.iter().filter(|(k, _)| k == "item") {
        let item = Uuid::try_parse(value).map_err(|_| WireError::bad_request("an unknown item"))?;
        if store.review_item(item).await?.campaign_id != review {
            return Err(WireError::not_found("review item not found"));
        }
        requests.push(DecisionRequest {
            item,
            decision: Decision::Keep,
            remove: Vec::new(),
            comment: Some(act.form.comment.trim().to_owned()).filter(|c| !c.is_empty()),
        });
    }
    let said = if requests.is_empty() {
        "Tick at least one account first.".to_owned()
    } else {
        match reviews::decide(&store, &requests, decider(me), true, &me.actor()).await {
            Ok(done) => format!("Kept {} accounts.", done.len()),
            Err(StoreError::Refused(why)) => format!("Nothing recorded: {why}."),
            Err(other) => return Err(other.into()),
        }
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}"),
        &said,
    )))
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /console/reviews/{id}/close`: decisions become final; undecided items follow the
/// campaign's rule.
#[post("/reviews/{id}/close")]
pub async fn close(act: Act<NoFields>, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let me = &act.me;
    let review = review_id(&id)?;
    let said = match reviews::close(&me.store(), review, &me.actor()).await {
        Ok(()) => "Review closed: decisions are final.".to_owned(),
        Err(StoreError::Refused(why)) => format!("Not closed: {why}."),
        Err(other) => return Err(other.into()),
    };
    Ok(see_other(&notice_link(
        me,
        &format!("/console/reviews/{review}"),
        &said,
    )))
}
