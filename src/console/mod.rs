//! The web console under `/console`: server-rendered pages (askama templates, checked at
//! compile time) for the people who work the queue and those who check it. Every action is a
//! plain form post that works without JavaScript; htmx (`hx-boost`) only saves full reloads.
//!
//! The console is a sibling of `api` in the wire layer and calls the same engine: one
//! implementation of every action, the same role rule (`domain::admin`), the same audit record
//! under the administrator's name. Its errors are HTML pages (`http::errors`, the third shape).
//!
//! `session` keeps people signed in and gates every POST (session, CSRF token, role); `guard` adds
//! the security headers and the same-origin check; `signin` and `oidc` sign people in (one-time
//! link, or the practice's identity provider); `view` holds what pages share; one module
//! per page family.

mod audit;
mod chart;
mod guard;
mod home;
mod imports;
mod oidc;
mod people;
mod policy;
mod portals;
mod queue;
mod reports;
mod reviews;
mod rosters;
mod session;
mod settings;
mod signin;
mod task;
mod view;

use actix_web::middleware::from_fn;
use actix_web::web::ServiceConfig;

/// Mounts the console (called once, from `routes`). Its pages are HTML, not API: they are not
/// in the OpenAPI description.
pub fn routes(cfg: &mut ServiceConfig) -> &mut ServiceConfig {
    cfg.service(
        actix_web::Scope::new("/console")
            .wrap(from_fn(guard::console_guard))
            .service(crate::http::assets::serve)
            .service(home::home)
            .service(signin::landing)
            .service(signin::sign_in_with)
            .service(oidc::start)
            .service(oidc::callback)
            .service(signin::link_page)
            .service(signin::use_link)
            .service(signin::sign_out)
            .service(signin::practices)
            .service(signin::switch_practice)
            .service(queue::queue)
            .service(queue::bulk_claim)
            .service(queue::bulk_reassign)
            .service(audit::page)
            .service(audit::export)
            .service(people::list)
            .service(people::page)
            .service(people::record)
            .service(people::record_training)
            .service(portals::training_rule)
            .service(portals::page)
            .service(portals::add)
            .service(portals::add_own)
            .service(portals::detail)
            .service(portals::update)
            .service(portals::duty_met)
            .service(imports::upload)
            .service(imports::page)
            .service(imports::commit)
            .service(imports::link)
            .service(imports::mark_service)
            .service(rosters::upload)
            .service(rosters::page)
            .service(rosters::commit)
            .service(reports::page)
            .service(reports::leavers_csv)
            .service(reports::access_csv)
            .service(task::page)
            .service(task::evidence_file)
            .service(task::act)
            .service(policy::page)
            .service(policy::rule_form)
            .service(policy::submit)
            .service(reviews::list)
            .service(reviews::open_review)
            .service(reviews::set_schedule)
            .service(reviews::report_csv)
            .service(reviews::report_page)
            .service(reviews::page)
            .service(reviews::decide)
            .service(reviews::delegate)
            .service(reviews::keep_many)
            .service(reviews::close)
            .service(settings::page)
            .service(settings::save_sla)
            .service(settings::save_verification)
            .service(settings::save_escalation)
            .service(settings::add_webhook)
            .service(settings::test_webhook)
            .service(settings::delete_webhook)
            .service(settings::delivery_log)
            .service(settings::save_email)
            .service(settings::test_email)
            .service(settings::delete_email)
            .service(settings::add_admin)
            .service(settings::remove_admin)
            .service(settings::create_token)
            .service(settings::revoke_token),
    )
}

/// An askama page as a response.
fn render(
    page: &impl askama::Template,
) -> Result<actix_web::HttpResponse, crate::http::errors::WireError> {
    let html = page.render().map_err(|e| {
        tracing::error!(error = %e, "a console page did not render");
        crate::http::errors::WireError::internal()
    })?;
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// After a POST: back to a page (303, so a reload does not post again).
fn see_other(to: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to.to_owned()))
        .finish()
}
