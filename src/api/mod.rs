//! The admin JSON API under `/api/v1`. Errors are RFC 9457 problem+json (rendered by
//! `http::errors`); every route is documented with utoipa and mounted in [`routes`].

mod audit;
mod escalation;
mod evidence;
mod me;
mod people;
mod policy;
mod portals;
mod queue;
mod reports;
mod task_actions;
mod tasks;
mod webhooks;
mod whoami;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every admin API route. Mounting goes through utoipa-actix-web, so a handler without
/// an OpenAPI description does not compile here.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(whoami::whoami)
        .service(tasks::list_tasks)
        .service(tasks::get_task)
        .service(portals::catalog)
        .service(portals::list)
        .service(portals::add)
        .service(portals::get_one)
        .service(portals::update)
        .service(policy::current)
        .service(policy::history)
        .service(policy::replace)
        .service(policy::preview)
        .service(policy::get_sla)
        .service(policy::put_sla)
        .service(people::record_account)
        .service(people::access)
        .service(task_actions::claim)
        .service(task_actions::unclaim)
        .service(task_actions::complete)
        .service(task_actions::verify)
        .service(task_actions::fail)
        .service(task_actions::reopen)
        .service(task_actions::cancel)
        .service(task_actions::reassign)
        .service(audit::list)
        .service(audit::verify)
        .service(audit::export)
        .service(queue::queue)
        .service(queue::summary)
        .service(reports::leavers)
        .service(reports::access)
        .service(me::create_token)
        .service(policy::get_verification)
        .service(policy::put_verification)
        .service(task_actions::bulk)
        .service(evidence::upload)
        .service(evidence::list)
        .service(evidence::download)
        .service(escalation::current)
        .service(escalation::history)
        .service(escalation::replace)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::get_one)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::test)
        .service(webhooks::deliveries);
}
