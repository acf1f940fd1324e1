//! Portals: the practice's carrier directory (the seed article asks for one: every contracted
//! carrier with its direct URL), with the organization's identifiers, administrators against
//! the portal's minimum, SLA overrides and open work.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::home::portal_load;
use super::session::{Act, SignedIn};
use super::view::{Frame, urlencode};
use super::{render, see_other};
use crate::engine::portals::checked;
use crate::engine::reports::access_lines;
use crate::http::errors::WireError;
use crate::store::portals::{OrgScope, PracticePortalWrite};

pub(super) struct PortalRow {
    slug: String,
    name: String,
    url: String,
    kind: String,
    identifiers: String,
    admins: usize,
    min_admins: Option<u32>,
    short_of_admins: bool,
    overrides: String,
    open: u64,
    overdue: u64,
    own: bool,
}

#[derive(Template)]
#[template(path = "portals.html", config = "src/console/askama.toml")]
struct Portals {
    frame: Frame,
    portals: Vec<PortalRow>,
    catalogue: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PortalsQuery {
    notice: Option<String>,
}

#[get("/portals")]
pub async fn page(
    me: SignedIn,
    query: web::Query<PortalsQuery>,
) -> Result<HttpResponse, WireError> {
    let store = me.store();
    let portals = store.practice_portals().await?;
    let work = store.open_work(me.now()).await?;
    let load: BTreeMap<String, (u64, u64)> = portal_load(&me, &work)
        .await?
        .into_iter()
        .map(|p| (p.slug, (p.open, p.overdue)))
        .collect();
    // Administrators per portal: recorded accounts holding one of its administrator roles.
    let mut admins: BTreeMap<String, usize> = BTreeMap::new();
    for line in access_lines(&store).await? {
        let Some(portal) = portals.get(&line.portal) else {
            continue;
        };
        let is_admin = line.roles.iter().any(|r| {
            portal
                .portal
                .roles
                .iter()
                .any(|role| &role.slug == r && role.is_admin)
        });
        if is_admin {
            *admins.entry(line.portal.clone()).or_default() += 1;
        }
    }
    let rows = portals
        .values()
        .map(|p| {
            let scope = &p.org_scope;
            let identifiers = [
                ("TIN", &scope.tin),
                ("NPI", &scope.group_npi),
                ("PTAN", &scope.ptan),
                ("Trading partner", &scope.trading_partner_id),
            ]
            .into_iter()
            .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label} {v}")))
            .collect::<Vec<_>>()
            .join(" · ");
            let min = p.min_admins.or(p.portal.admin_limits.min);
            let count = admins.get(&p.portal.slug).copied().unwrap_or(0);
            let (open, overdue) = load.get(&p.portal.slug).copied().unwrap_or((0, 0));
            PortalRow {
                slug: p.portal.slug.clone(),
                name: p.portal.name.clone(),
                url: p.portal.url.clone(),
                kind: format!("{:?}", p.portal.kind)
                    .chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            vec![' ', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect::<String>()
                    .trim()
                    .to_owned(),
                identifiers,
                admins: count,
                short_of_admins: min.is_some_and(|m| (count as u32) < m),
                min_admins: min,
                overrides: p
                    .sla_overrides
                    .iter()
                    .map(|(key, sla)| format!("{key} {sla}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                open,
                overdue,
                own: p.custom,
            }
        })
        .collect();
    let catalogue = me
        .state
        .store
        .catalog()
        .portals
        .iter()
        .filter(|c| !portals.contains_key(&c.slug))
        .map(|c| (c.slug.clone(), c.name.clone()))
        .collect();
    render(&Portals {
        frame: Frame::load(&me, "Portals", "Portals").await?,
        portals: rows,
        catalogue,
        notice: query.notice.clone(),
    })
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    portal: String,
    tin: Option<String>,
    group_npi: Option<String>,
    ptan: Option<String>,
}

/// `POST /console/portals`: add a catalogue portal, with the organization's identifiers,
/// checked by the same rules as `POST /api/v1/practice-portals`.
#[post("/portals")]
pub async fn add(act: Act<AddForm>) -> Result<HttpResponse, WireError> {
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(|t| t.trim().replace([' ', '-'], ""))
            .filter(|t| !t.is_empty())
    };
    let write = PracticePortalWrite {
        portal_slug: act.form.portal.trim().to_owned(),
        custom: None,
        org_scope: OrgScope {
            tin: filled(&act.form.tin),
            group_npi: filled(&act.form.group_npi),
            ptan: filled(&act.form.ptan),
            ..Default::default()
        },
        min_admins: None,
        max_admins: None,
        sla_overrides: Default::default(),
        url: None,
    };
    let write = checked(act.me.state.store.catalog(), write)?;
    let added = act
        .me
        .store()
        .add_practice_portal(write, &act.me.actor())
        .await?;
    Ok(see_other(&format!(
        "/console/portals?notice={}",
        urlencode(&format!("{} added.", added.portal.name))
    )))
}
