//! Portal user-list imports on both backends: a Noridian list previewed (nothing changes),
//! then committed: every finding and what it does (a done removal verified, a removal the
//! list contradicts reopened, role drift corrected, a leaver's account found by e-mail, an
//! account of nobody, a generic login, a missing account marked gone, a dormant account, an
//! administrator near lockout alerted); the shrink guard; the same file replayed; a preview
//! outdated by a change; unmatched accounts linked or accepted as service accounts; and bad
//! files refused by row and column with nothing kept.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;
use crate::browser::{
    Driver, accessibility_violations, at, click, field, screenshot, see, sign_in,
};
use crate::helpers::{spawn_app, start_time, storage_test};
use crate::lifecycle::Practice;

const PORTAL: &str = "noridian-nmp";

fn day(days_ago: i64) -> String {
    (start_time() - Duration::days(days_ago))
        .format("%m/%d/%Y")
        .to_string()
}

/// Uploads `csv` as the portal's list (with a column mapping when given); the status and body.
async fn upload(p: &Practice, csv: &[u8], columns: Option<Value>) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.to_vec())
            .file_name("noridian-users.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    if let Some(columns) = columns {
        form = form.text("columns", columns.to_string());
    }
    let response = p
        .app
        .client
        .post(
            p.app
                .url(&format!("/api/v1/practice-portals/{PORTAL}/imports")),
        )
        .bearer_auth(&p.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn preview(p: &Practice, csv: &[u8]) -> Value {
    let (status, body) = upload(p, csv, None).await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn commit(p: &Practice, import: &Value, body: Value) -> (u16, Value) {
    let id = import["id"].as_str().unwrap();
    p.post(
        &format!("/api/v1/practice-portals/{PORTAL}/imports/{id}/commit"),
        body,
    )
    .await
}

async fn act(p: &Practice, task: &Value, action: &str, body: Value) -> Value {
    let id = task["id"].as_str().unwrap();
    let (status, body) = call(
        p,
        &p.admin,
        Method::POST,
        &format!("/api/v1/tasks/{id}/{action}"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{action}: {body}");
    body
}

/// The person's task of `kind` in the portal, in any state.
async fn task_of(p: &Practice, person: &str, kind: &str) -> Value {
    let (status, page) = p
        .get(&format!(
            "/api/v1/tasks?person={person}&portal={PORTAL}&kind={kind}"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} for {person}: {page}"))
}

/// Hires someone at the front desk and does their Noridian provision as `username`.
async fn hire_with_account(p: &Practice, user_name: &str, username: &str) -> String {
    let id = p.hire(user_name, "Front Desk").await;
    let provision = task_of(p, &id, "provision").await;
    act(
        p,
        &provision,
        "complete",
        json!({"note": "created", "portal_username": username}),
    )
    .await;
    id
}

async fn leave(p: &Practice, id: &str) {
    let left = p
        .scim
        .patch(
            &format!("/Users/{id}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "value": {"active": false}}]}),
        )
        .await;
    left.expect(200);
}

fn findings_of<'a>(import: &'a Value, kind: &str) -> Vec<&'a Value> {
    import["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

fn finding<'a>(import: &'a Value, kind: &str, username: &str) -> &'a Value {
    findings_of(import, kind)
        .into_iter()
        .find(|f| f["username"] == username)
        .unwrap_or_else(|| panic!("no {kind} for {username}: {import:#}"))
}

async fn portal_tasks(p: &Practice, kind: &str) -> Vec<Value> {
    let (status, page) = p
        .get(&format!(
            "/api/v1/tasks?portal={PORTAL}&kind={kind}&limit=100"
        ))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

storage_test!(
    async fn a_list_is_previewed_then_committed_with_every_finding(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let ann = hire_with_account(&p, "ann@acme.example", "ann").await;
        let bo = hire_with_account(&p, "bo@acme.example", "bo").await;
        let cy = hire_with_account(&p, "cy@acme.example", "cy").await;
        let dee = hire_with_account(&p, "dee@acme.example", "dee").await;
        let eve = hire_with_account(&p, "eve@acme.example", "eve").await;
        // Bo and Cy leave; both removals are done. Fay leaves with no account recorded.
        for leaver in [&bo, &cy] {
            leave(&p, leaver).await;
            let removal = task_of(&p, leaver, "deprovision").await;
            act(
                &p,
                &removal,
                "complete",
                json!({"confirmation_number": "NMP-1"}),
            )
            .await;
        }
        let fay = p.hire("fay@acme.example", "Cook").await;
        leave(&p, &fay).await;
        // Gus is a Provider Administrator, recorded by hand.
        let gus = p.hire("gus@acme.example", "Cook").await;
        let (status, body) = p
            .post(
                &format!("/api/v1/people/{gus}/accounts"),
                json!({"portal": PORTAL, "username": "gus", "roles": ["provider-administrator"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");

        // Noridian's monthly report, as the catalogue knows its columns. Bo is still there;
        // Cy and Eve are not; Dee has an extra function and has not signed in for 40 days;
        // Fay's account turns up under her e-mail; Gus locks in 5 days; "frontdesk" and
        // "zed" are nobody's.
        let csv = format!(
            "User ID,User Name,Email,Approved Functions,Status,Last Login Date\r\n\
             ann,Ann,,Eligibility,Active,{}\r\n\
             BO,Bo,,Eligibility,Active,{}\r\n\
             dee,Dee,,Eligibility; Claim Status,Active,{}\r\n\
             fay.x,Fay,fay@acme.example,Eligibility,Active,{}\r\n\
             gus,Gus,,Provider Administrator,Active,{}\r\n\
             frontdesk,Front Desk,,Eligibility,Active,{}\r\n\
             zed,Zed Zulu,zed@elsewhere.example,Eligibility,Active,Never\r\n",
            day(2),
            day(1),
            day(40),
            day(3),
            day(25),
            day(1)
        );
        let shown = preview(&p, csv.as_bytes()).await;
        assert_eq!(shown["state"], "previewed");
        assert_eq!(shown["listed"], 7);
        assert_eq!(
            shown["columns"]["roles"], "Approved Functions",
            "the catalogue's mapping"
        );
        assert!(
            shown["previewed_by"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        assert_eq!(shown["sha256"].as_str().unwrap().len(), 64);
        // Cy's removal is confirmed, Bo's contradicted.
        let cy_removal = task_of(&p, &cy, "deprovision").await;
        let bo_removal = task_of(&p, &bo, "deprovision").await;
        assert_eq!(
            finding(&shown, "in_step", "cy")["effect"],
            json!({"action": "verify_task", "task": cy_removal["id"]})
        );
        assert_eq!(
            finding(&shown, "revoked_not_removed", "BO")["effect"],
            json!({"action": "reopen_task", "task": bo_removal["id"]})
        );
        assert_eq!(finding(&shown, "role_drift", "dee")["person"], dee.as_str());
        assert_eq!(
            finding(&shown, "dormant", "dee")["effect"]["action"],
            "nothing"
        );
        assert_eq!(finding(&shown, "orphan", "fay.x")["person"], fay.as_str());
        assert_eq!(
            finding(&shown, "shared_login", "frontdesk")["rule"],
            "generic_name"
        );
        assert_eq!(
            finding(&shown, "unmatched", "zed")["effect"],
            json!({"action": "open_deprovision", "username": "zed"})
        );
        assert_eq!(
            finding(&shown, "missing", "eve")["effect"],
            json!({"action": "mark_gone", "person": eve})
        );
        let lockout = finding(&shown, "dormant", "gus");
        assert_eq!(lockout["effect"]["action"], "lockout_alert", "{lockout}");
        assert!(
            findings_of(&shown, "in_step")
                .iter()
                .all(|f| f["username"] != "ann")
        );
        // Eve is 1 of 4 active accounts (25 %): the shrink guard asks.
        assert_eq!(
            (
                shown["missing"].clone(),
                shown["needs_confirmation"].clone()
            ),
            (json!(1), json!(true))
        );

        // The preview changed nothing.
        assert_eq!(task_of(&p, &bo, "deprovision").await["state"], "done");
        assert_eq!(task_of(&p, &cy, "deprovision").await["state"], "done");
        assert!(portal_tasks(&p, "replace_shared_login").await.is_empty());

        // The commit needs the number confirmed, then does what the preview said.
        let (status, refused) = commit(&p, &shown, json!({})).await;
        assert_eq!(status, 409, "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("confirm_missing: 1"),
            "{refused}"
        );
        let (status, done) = commit(&p, &shown, json!({"confirm_missing": 1})).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["state"], "committed");
        assert_eq!(done["replayed"], false);
        assert!(
            done["committed_by"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        assert_eq!(done["confirmed_missing"], 1);
        assert_eq!(
            done["findings"], shown["findings"],
            "the commit did what the preview showed"
        );

        let verified = task_of(&p, &cy, "deprovision").await;
        assert_eq!(verified["state"], "verified");
        assert_eq!(
            verified["verified_by"],
            format!("portal list import {}", shown["id"].as_str().unwrap())
        );
        let reopened = task_of(&p, &bo, "deprovision").await;
        assert_eq!(reopened["state"], "open");
        assert_eq!(reopened["done_by"], Value::Null);
        assert_eq!(reopened["escalation_level"], 0);
        assert!(
            reopened["reason"]
                .as_str()
                .unwrap()
                .starts_with("revoked but not removed"),
            "{reopened}"
        );
        // Dee's extra function: the record is corrected and policy opens the removal.
        let dee_modify = task_of(&p, &dee, "modify").await;
        assert_eq!(dee_modify["state"], "open");
        assert_eq!(dee_modify["roles_remove"], json!(["claim-status"]));
        // Fay's account: recorded, and a deprovision opened for it.
        assert_eq!(task_of(&p, &fay, "deprovision").await["state"], "open");
        // Nobody's account and the generic login: tasks on the portal, naming the account.
        let zed = portal_tasks(&p, "deprovision")
            .await
            .into_iter()
            .find(|t| t["portal_username"] == "zed")
            .expect("zed's removal");
        assert_eq!(
            (zed["person_id"].clone(), zed["cause"].clone()),
            (Value::Null, json!("import"))
        );
        let shared = portal_tasks(&p, "replace_shared_login").await;
        assert_eq!(shared.len(), 1, "{shared:?}");
        assert_eq!(shared[0]["portal_username"], "frontdesk");
        // Eve's account is gone; policy still grants it, so a new provision is planned.
        let (_, access) = p.get(&format!("/api/v1/people/{eve}/access")).await;
        let eve_provision = task_of(&p, &eve, "provision").await;
        assert_eq!(eve_provision["state"], "open", "{access}");
        // Gus's lockout alert and the import are in the audit trail.
        let (_, trail) = p.get("/api/v1/audit?limit=200").await;
        let actions: Vec<&str> = trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "portal_import.committed",
            "task.regressed",
            "account.gone",
            "notify.practice_portal.admin_lockout_soon",
        ] {
            assert!(actions.contains(&action), "{action}: {actions:?}");
        }
        // Ann's account, in step, is left alone; no other task was opened for her.
        assert!(
            p.tasks(&ann, "open")
                .await
                .iter()
                .all(|t| t["portal"] != PORTAL)
        );

        // The same file again: nothing changes.
        let again = preview(&p, csv.as_bytes()).await;
        let (status, replay) = commit(&p, &again, json!({"confirm_missing": 1})).await;
        assert_eq!(status, 200, "{replay}");
        assert_eq!(
            (replay["replayed"].clone(), replay["id"].clone()),
            (json!(true), shown["id"].clone())
        );
        assert_eq!(portal_tasks(&p, "replace_shared_login").await.len(), 1);
        assert_eq!(
            task_of(&p, &bo, "deprovision").await["version"],
            reopened["version"]
        );
        // And the mapping is remembered: a list without a roles column header of the
        // catalogue's kind still reads, by the remembered mapping.
        let (_, imports) = p
            .get(&format!("/api/v1/practice-portals/{PORTAL}/imports"))
            .await;
        assert_eq!(imports["items"].as_array().unwrap().len(), 2);
        assert!(imports["items"][0].get("findings").is_none());
    }
);

storage_test!(
    async fn unmatched_accounts_are_linked_or_accepted_and_previews_must_hold(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let ann = hire_with_account(&p, "ann@acme.example", "ann").await;
        let hal = p.hire("hal@acme.example", "Front Desk").await;
        let csv = b"Username,Functions,Status\nann,Eligibility,Active\nh.smith,Eligibility,Active\nclearinghouse,Claim Status,Active\n";
        let first = preview(&p, csv).await;
        assert_eq!(
            first["columns"]["username"], "Username",
            "recognised from the headers"
        );
        // A change between preview and commit: Ann's account is recorded anew.
        let (status, body) = p
            .post(
                &format!("/api/v1/people/{ann}/accounts"),
                json!({"portal": PORTAL, "username": "ann", "roles": ["eligibility", "claim-status"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, outdated) = commit(&p, &first, json!({})).await;
        assert_eq!(status, 409, "{outdated}");
        assert!(
            outdated["detail"]
                .as_str()
                .unwrap()
                .contains("preview the file again")
        );
        // Previewed again, committed: two accounts of nobody, each with a removal task.
        let second = preview(&p, csv).await;
        let (status, _) = commit(&p, &second, json!({})).await;
        assert_eq!(status, 200);
        let removals = portal_tasks(&p, "deprovision").await;
        let of = |name: &str| {
            removals
                .iter()
                .find(|t| t["portal_username"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name}: {removals:?}"))
        };
        let (h_task, ch_task) = (of("h.smith"), of("clearinghouse"));
        // h.smith is Hal's: linked, the removal is cancelled and the account recorded.
        let link = format!("/api/v1/practice-portals/{PORTAL}/accounts/link");
        let (status, body) = p
            .post(&link, json!({"username": "h.smith", "person_id": hal}))
            .await;
        assert_eq!(status, 204, "{body}");
        let (_, h_now) = p
            .get(&format!("/api/v1/tasks/{}", h_task["id"].as_str().unwrap()))
            .await;
        assert_eq!(h_now["state"], "cancelled");
        let (_, access) = p.get(&format!("/api/v1/people/{hal}/access")).await;
        let noridian = access["portals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["portal"] == PORTAL)
            .unwrap()
            .clone();
        assert_eq!(noridian["username"], "h.smith", "{noridian}");
        // The clearinghouse login is a service account, reviewed in a year.
        let service = format!("/api/v1/practice-portals/{PORTAL}/service-accounts");
        let (status, body) = p
            .post(&service, json!({"username": "clearinghouse", "reason": "claims interface", "review_at": "2027-11-24"}))
            .await;
        assert_eq!(status, 204, "{body}");
        let (_, ch_now) = p
            .get(&format!(
                "/api/v1/tasks/{}",
                ch_task["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(ch_now["state"], "cancelled");
        let (_, listed) = p.get(&service).await;
        assert!(
            listed["items"][0]["marked_by"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        let (status, _) = p
            .post(
                &service,
                json!({"username": "x", "reason": "", "review_at": "2027-01-01"}),
            )
            .await;
        assert_eq!(status, 422);
        let third = preview(&p, b"Username,Functions,Status\nann,Eligibility,Active\nh.smith,Eligibility,Active\nclearinghouse,Claim Status,Active\r\n").await;
        assert_eq!(
            finding(&third, "service_account", "clearinghouse")["effect"]["action"],
            "nothing"
        );
        assert!(findings_of(&third, "unmatched").is_empty(), "{third:#}");
        // Another practice sees none of it.
        let other = Practice::new(crate::helpers::spawn_app(&backend).await, "other").await;
        let (status, _) = other
            .get(&format!(
                "/api/v1/practice-portals/{PORTAL}/imports/{}",
                third["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, 404);
    }
);

storage_test!(
    async fn bad_files_are_refused_by_row_and_column(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        hire_with_account(&p, "ann@acme.example", "ann").await;
        // What spreadsheets write is read: a BOM, CRLF, semicolons, a quoted line break.
        let excel = "\u{feff}Username;Name;Functions\r\nann;\"Lee,\r\nAnn\";Eligibility\r\n";
        let read = preview(&p, excel.as_bytes()).await;
        assert_eq!(read["listed"], 1);
        assert_eq!(read["in_step"], 1, "{read:#}");
        let refused = [
            (b"\xFF\xFEU\x00".to_vec(), None, None, "UTF-16"),
            (
                b"Username,Name\nann,Jos\xE9\n".to_vec(),
                Some(2),
                None,
                "UTF-8",
            ),
            (
                b"Username,Name\nann,=HYPERLINK(\"http://x\")\n".to_vec(),
                Some(2),
                Some("Name"),
                "formula",
            ),
            (
                b"Username,Name\nann,A\nANN,B\n".to_vec(),
                Some(3),
                Some("Username"),
                "also on row 2",
            ),
            (b"Name,Email\nAnn,a@x\n".to_vec(), None, None, "username"),
            (
                b"Username,Status\nann,Asleep\n".to_vec(),
                Some(2),
                Some("Status"),
                "status",
            ),
            (b"Username,Name\n".to_vec(), None, None, "no accounts"),
            (b"Username,Name\nann,A,B\n".to_vec(), Some(2), None, "cells"),
        ];
        for (bytes, row, column, words) in refused {
            let (status, problem) = upload(&p, &bytes, None).await;
            assert_eq!(status, 422, "{words}: {problem}");
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(words), "{words}: {detail}");
            if let Some(row) = row {
                assert!(detail.starts_with(&format!("row {row}")), "{detail}");
            }
            if let Some(column) = column {
                assert!(detail.contains(&format!("column `{column}`")), "{detail}");
            }
        }
        // A mapping that names a column the file lacks, and one that is not a mapping.
        let (status, problem) = upload(
            &p,
            b"Login\nann\n",
            Some(json!({"username": "Login", "email": "Mail"})),
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("column `Mail`"),
            "{problem}"
        );
        let (status, _) = upload(&p, b"Login\nann\n", Some(json!({"user": "Login"}))).await;
        assert_eq!(status, 400);
        // 11 MiB: refused before it is read.
        let big = vec![b'a'; 11 * 1024 * 1024];
        let (status, problem) = upload(&p, &big, None).await;
        assert_eq!(status, 413, "{problem}");
        // Only the one good preview was kept.
        let (_, imports) = p
            .get(&format!("/api/v1/practice-portals/{PORTAL}/imports"))
            .await;
        assert_eq!(imports["items"].as_array().unwrap().len(), 1);
    }
);

storage_test!(
    /// In the browser: Pat uploads Noridian's list on the portal page, reads the preview
    /// (which changed nothing), commits it, and links the account nobody was known for to the
    /// person it belongs to. The preview page passes axe.
    async fn a_list_is_uploaded_previewed_and_committed_in_the_browser(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let bo = hire_with_account(&p, "bo@acme.example", "bo").await;
        leave(&p, &bo).await;
        let removal = task_of(&p, &bo, "deprovision").await;
        act(&p, &removal, "complete", json!({"note": "removed"})).await;
        p.hire("hal@acme.example", "Front Desk").await;
        let list = p.app.dir.path().join("noridian-users.csv");
        std::fs::write(
            &list,
            "User ID,User Name,Email,Approved Functions,Status,Last Login Date\n\
             hsmith,Hal Smith,,Eligibility,Active,11/20/2026\n\
             frontdesk,Front Desk,,Eligibility,Active,11/20/2026\n",
        )
        .unwrap();

        let driver = Driver::start();
        let pat = driver.browser().await;
        sign_in(&pat, &p.app, "acme", "pat@acme.example").await;
        pat.goto(&p.app.url(&format!("/console/portals/{PORTAL}#user-list")))
            .await
            .unwrap();
        see(&pat, "Import user list").await;
        field(&pat, "User list (CSV)")
            .await
            .send_keys(list.to_str().unwrap())
            .await
            .unwrap();
        click(&pat, "Preview the list").await;
        at(&pat, "/imports/").await;
        let shown = see(&pat, "not yet: nothing has changed").await;
        for words in [
            "Shared or generic login",
            "Unmatched",
            "A deprovision task opens",
            "Its task becomes verified",
        ] {
            assert!(shown.contains(words), "{words}: {shown}");
        }
        assert_eq!(task_of(&p, &bo, "deprovision").await["state"], "done");
        let violations = accessibility_violations(&pat).await;
        assert!(violations.is_empty(), "{violations:#?}");
        screenshot(&pat, &backend, "import-preview").await;

        click(&pat, "Commit: carry out these findings").await;
        see(&pat, "Committed: the findings below were carried out.").await;
        assert_eq!(task_of(&p, &bo, "deprovision").await["state"], "verified");
        field(&pat, "It is (user name or e-mail)")
            .await
            .send_keys("hal@acme.example")
            .await
            .unwrap();
        click(&pat, "Link to this person").await;
        see(&pat, "Linked `hsmith` to").await;
        let removals = portal_tasks(&p, "deprovision").await;
        let hsmith = removals
            .iter()
            .find(|t| t["portal_username"] == "hsmith")
            .unwrap();
        assert_eq!(hsmith["state"], "cancelled", "{hsmith}");
        // Home counts the shared login still to replace.
        click(&pat, "Home").await;
        let home = see(&pat, "Shared logins to replace").await;
        assert!(home.contains("Shared logins to replace\n1"), "{home}");
        pat.close().await.unwrap();
    }
);

storage_test!(
    /// An administrator account's last sign-in, kept from a committed list, makes the sweeper
    /// warn a week before the portal locks it, once.
    async fn the_sweeper_warns_a_week_before_an_administrator_is_locked_out(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let gus = p.hire("gus@acme.example", "Cook").await;
        let (status, body) = p
            .post(
                &format!("/api/v1/people/{gus}/accounts"),
                json!({"portal": PORTAL, "username": "gus", "roles": ["provider-administrator"]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        // Signed in 10 days ago: Noridian locks the account in 20 days.
        let csv = format!(
            "User ID,Approved Functions,Last Login Date\ngus,Provider Administrator,{}\n",
            day(10)
        );
        let listed = preview(&p, csv.as_bytes()).await;
        assert!(findings_of(&listed, "dormant").is_empty(), "{listed:#}");
        let (status, _) = commit(&p, &listed, json!({})).await;
        assert_eq!(status, 200);
        let alerts = |trail: &Value| {
            trail["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "notify.practice_portal.admin_lockout_soon")
                .count()
        };
        assert_eq!(p.app.sweep().await.lockout_alerts, 0, "three weeks to go");
        p.app.clock.advance(Duration::days(14));
        assert_eq!(p.app.sweep().await.lockout_alerts, 1, "six days to go");
        assert_eq!(p.app.sweep().await.lockout_alerts, 0, "once");
        let (_, trail) = p.get("/api/v1/audit?limit=200").await;
        assert_eq!(alerts(&trail), 1, "{trail}");
    }
);
