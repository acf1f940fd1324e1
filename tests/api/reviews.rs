//! Access reviews through the admin API, on both backends: opening a campaign takes the
//! snapshot with each item's reviewer (the manager when an administrator, the portal's named
//! reviewer, a manager of the practice; never oneself) and context; decisions need a comment
//! to take access away, open the removal task at once (cause `review`), which policy does not
//! grant back; a decision changed back to "Keep" cancels it; closing settles what nobody
//! decided by the campaign's rule.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admins::call;

use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A person over SCIM, with a manager when given.
async fn person(p: &Practice, user_name: &str, title: &str, manager: Option<&str>) -> String {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name, "active": true, "displayName": user_name, "title": title,
    });
    if let Some(manager) = manager {
        body[ENTERPRISE] = json!({"department": "Front Office", "manager": {"value": manager}});
    }
    p.scim.post("/Users", body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn item_of<'a>(items: &'a Value, user_name: &str, portal: &str) -> &'a Value {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["context"]["user_name"] == user_name && i["portal"] == portal)
        .unwrap_or_else(|| panic!("{user_name} in {portal}: {items}"))
}

storage_test!(
    async fn a_review_is_opened_decided_and_closed(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let max_token = crate::console::another_admin(&p, "max@acme.example", "manager").await;
        let ada_token = crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let max = person(&p, "max@acme.example", "Office Manager", None).await;
        let jo = person(&p, "jo@acme.example", "Front Desk", Some(&max)).await;
        let sam = person(&p, "sam@acme.example", "Front Desk", None).await;
        let pat = person(&p, "pat@acme.example", "Front Desk", None).await;
        for someone in [&jo, &sam, &pat] {
            p.record(someone, "availity-essentials", &["eligibility-benefits"])
                .await;
        }
        p.record(&jo, "noridian-nmp", &["eligibility"]).await;

        // Opening it: a manager may; an auditor may not.
        let opening = json!({
            "name": "Q1 2027", "deadline": "2027-01-31",
            "portal_reviewers": {"availity-essentials": "vic@acme.example"},
        });
        let (status, _) = call(
            &p,
            &ada_token,
            Method::POST,
            "/api/v1/reviews",
            Some(opening.clone()),
        )
        .await;
        assert_eq!(status, 403);
        let (status, review) = call(
            &p,
            &max_token,
            Method::POST,
            "/api/v1/reviews",
            Some(opening),
        )
        .await;
        assert_eq!(status, 201, "{review}");
        assert_eq!(review["items"], 4, "{review}");
        assert_eq!(review["state"], "open");
        let id = review["id"].as_str().unwrap().to_owned();
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;

        // Reviewers: Jo's manager Max (an administrator); Sam's portal reviewer Vic; Pat's
        // item is also Vic's, never Pat's own.
        let jo_availity = item_of(&items, "jo@acme.example", "availity-essentials");
        assert_eq!(jo_availity["reviewer_source"], "manager", "{jo_availity}");
        let context = &jo_availity["context"];
        assert_eq!(context["status"], "active");
        assert_eq!(context["title"], "Front Desk");
        assert_eq!(context["department"], "Front Office");
        assert_eq!(context["manager"], "max@acme.example");
        assert_eq!(context["granted_by_policy"]["eligibility-benefits"], true);
        assert_eq!(context["open_tasks"], 0);
        let sam_item = item_of(&items, "sam@acme.example", "availity-essentials");
        assert_eq!(sam_item["reviewer_source"], "portal");
        let pat_item = item_of(&items, "pat@acme.example", "availity-essentials");
        assert_eq!(pat_item["reviewer_source"], "portal");
        let (_, mine) = call(
            &p,
            &max_token,
            Method::GET,
            &format!("/api/v1/reviews/{id}/items?reviewer=me"),
            None,
        )
        .await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 2, "{mine}");

        // Revoke needs a comment; with one, the removal task opens at once.
        let jo_item = jo_availity["id"].as_str().unwrap().to_owned();
        let decide = |token: String, item: String, body: Value| {
            let p = &p;
            let id = id.clone();
            async move {
                call(
                    p,
                    &token,
                    Method::POST,
                    &format!("/api/v1/reviews/{id}/items/{item}/decision"),
                    Some(body),
                )
                .await
            }
        };
        let (status, refused) = decide(
            max_token.clone(),
            jo_item.clone(),
            json!({"decision": "revoke"}),
        )
        .await;
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused["detail"].as_str().unwrap().contains("comment"),
            "{refused}"
        );
        let (status, decided) = decide(
            max_token.clone(),
            jo_item.clone(),
            json!({"decision": "revoke", "comment": "moved to scheduling"}),
        )
        .await;
        assert_eq!(status, 200, "{decided}");
        assert_eq!(decided["decision"], "revoke");
        assert!(
            decided["decided_by"]
                .as_str()
                .unwrap()
                .contains("max@acme.example")
        );
        let open = p.tasks(&jo, "open").await;
        let removal = open
            .iter()
            .find(|t| t["kind"] == "deprovision" && t["portal"] == "availity-essentials")
            .unwrap_or_else(|| panic!("a deprovision task: {open:?}"));
        assert_eq!(removal["cause"], "review");
        // Policy still grants Jo the role; the review's exclusion keeps it from coming back.
        p.scim
            .patch(
                &format!("/Users/{jo}"),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "displayName", "value": "Jo R."}]}),
            )
            .await
            .expect(200);
        let open = p.tasks(&jo, "open").await;
        assert!(
            !open
                .iter()
                .any(|t| t["kind"] == "provision" && t["portal"] == "availity-essentials"),
            "{open:?}"
        );

        // Changed back to Keep: the removal is moot and cancelled; then revoked again.
        let (status, _) = decide(
            max_token.clone(),
            jo_item.clone(),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(status, 200);
        let open = p.tasks(&jo, "open").await;
        assert!(!open.iter().any(|t| t["kind"] == "deprovision"), "{open:?}");
        let (status, _) = decide(
            max_token.clone(),
            jo_item.clone(),
            json!({"decision": "revoke", "comment": "moved to scheduling"}),
        )
        .await;
        assert_eq!(status, 200);

        // Nobody reviews their own access, whatever their role; a scope-only token decides
        // nothing; an auditor decides nothing.
        let pat_item_id = pat_item["id"].as_str().unwrap().to_owned();
        let (status, refused) = decide(
            p.admin.clone(),
            pat_item_id.clone(),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused["detail"].as_str().unwrap().contains("own access"),
            "{refused}"
        );
        let acme = p
            .app
            .store
            .practice_by_slug(&portcullis::domain::practice::PracticeSlug::parse("acme").unwrap())
            .await
            .unwrap();
        let robot = p.app.token(&acme, "admin:read,admin:write").await;
        let (status, _) = decide(robot, pat_item_id.clone(), json!({"decision": "keep"})).await;
        assert_eq!(status, 403);
        let (status, _) = decide(
            ada_token.clone(),
            pat_item_id.clone(),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(status, 403);

        // Several at once need a comment; Vic keeps Pat's and Sam's.
        let sam_item_id = sam_item["id"].as_str().unwrap().to_owned();
        let both = json!({"items": [pat_item_id, sam_item_id], "decision": "keep"});
        let (status, _) = call(
            &p,
            &p.verifier,
            Method::POST,
            &format!("/api/v1/reviews/{id}/decisions"),
            Some(both),
        )
        .await;
        assert_eq!(status, 400, "the comment is required by the body's shape");
        let both = json!({"items": [pat_item_id, sam_item_id], "decision": "keep", "comment": "still on the front desk"});
        let (status, kept) = call(
            &p,
            &p.verifier,
            Method::POST,
            &format!("/api/v1/reviews/{id}/decisions"),
            Some(both),
        )
        .await;
        assert_eq!(status, 200, "{kept}");
        assert_eq!(kept["items"].as_array().unwrap().len(), 2);

        // Closing: Jo's Noridian account, undecided, is kept and flagged.
        let (status, closed) = call(
            &p,
            &max_token,
            Method::POST,
            &format!("/api/v1/reviews/{id}/close"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{closed}");
        assert_eq!(closed["state"], "closed");
        assert_eq!(closed["decided"], 3);
        let (_, items) = p.get(&format!("/api/v1/reviews/{id}/items")).await;
        assert_eq!(
            item_of(&items, "jo@acme.example", "noridian-nmp")["outcome"],
            "flagged"
        );
        assert_eq!(
            item_of(&items, "jo@acme.example", "availity-essentials")["outcome"],
            "revoked"
        );
        let (status, _) = decide(
            max_token.clone(),
            jo_item.clone(),
            json!({"decision": "keep"}),
        )
        .await;
        assert_eq!(status, 422, "decisions are final once closed");

        // The auditor's report: not complete while Jo's removal is not verified.
        let (status, report) = p.get(&format!("/api/v1/reviews/{id}/report")).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["counts"]["revoked"], 1, "{report}");
        assert_eq!(report["counts"]["kept"], 2);
        assert_eq!(report["exceptions"], 1);
        assert_eq!(report["complete"], false);
        let line = |report: &Value| {
            report["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| {
                    l["user_name"] == "jo@acme.example" && l["portal"] == "availity-essentials"
                })
                .unwrap()
                .clone()
        };
        let jo_line = line(&report);
        assert_eq!(jo_line["not_yet_removed_days"], 0, "{jo_line}");
        assert_eq!(jo_line["comment"], "moved to scheduling");
        let task = jo_line["task_id"].as_str().unwrap().to_owned();
        let evidence = json!({"note": "removed in Availity", "confirmation_number": "AV-1"});
        for (token, action, body) in [
            (&p.admin, "claim", json!({})),
            (&p.admin, "complete", evidence),
            (&p.verifier, "verify", json!({})),
        ] {
            let (status, body) = call(
                &p,
                token,
                Method::POST,
                &format!("/api/v1/tasks/{task}/{action}"),
                Some(body),
            )
            .await;
            assert_eq!(status, 200, "{action}: {body}");
        }
        let (_, report) = p.get(&format!("/api/v1/reviews/{id}/report")).await;
        assert_eq!(report["complete"], true, "{report}");
        let jo_line = line(&report);
        assert!(
            jo_line["verified_by"]
                .as_str()
                .unwrap()
                .contains("vic@acme.example"),
            "{jo_line}"
        );
        assert!(jo_line["not_yet_removed_days"].is_null());

        // Another review that revokes what nobody decided.
        let (status, second) = call(
            &p,
            &max_token,
            Method::POST,
            "/api/v1/reviews",
            Some(json!({
                "name": "Noridian check", "deadline": "2027-02-28", "no_answer": "revoke",
                "scope": {"portals": ["noridian-nmp"]},
            })),
        )
        .await;
        assert_eq!(status, 201, "{second}");
        assert_eq!(second["items"], 1);
        let second_id = second["id"].as_str().unwrap();
        let (status, _) = call(
            &p,
            &max_token,
            Method::POST,
            &format!("/api/v1/reviews/{second_id}/close"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let open = p.tasks(&jo, "open").await;
        assert!(
            open.iter().any(|t| t["kind"] == "deprovision"
                && t["portal"] == "noridian-nmp"
                && t["cause"] == "review"),
            "{open:?}"
        );

        // The trail has every step under the person's name.
        let (_, audit) = p.get("/api/v1/audit?action=review.decided").await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 5, "{audit}");
        let (_, list) = p.get("/api/v1/reviews").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
    }
);

storage_test!(
    /// The console's Reviews pages: a manager opens a review in a form, sees the accounts
    /// that are theirs to decide, revokes one (a comment is required), keeps several at once,
    /// and closes it; an auditor reads but cannot act.
    async fn a_review_is_run_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        crate::console::another_admin(&p, "max@acme.example", "manager").await;
        crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let max = person(&p, "max@acme.example", "Office Manager", None).await;
        let jo = person(&p, "jo@acme.example", "Front Desk", Some(&max)).await;
        let kim = person(&p, "kim@acme.example", "Front Desk", Some(&max)).await;
        p.record(&jo, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.record(&kim, "availity-essentials", &["eligibility-benefits"])
            .await;
        p.record(&kim, "noridian-nmp", &["eligibility"]).await;

        let session = crate::console::Session::sign_in(&p.app, "acme", "max@acme.example").await;
        let (status, page) = session.get("/console/reviews").await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Open a review"), "{page}");
        let (status, to) = session
            .post(
                "/console/reviews",
                &[
                    ("name", "Q1"),
                    ("deadline", "2027-01-31"),
                    ("no_answer", "keep_and_flag"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{to}");
        let review = to
            .split('?')
            .next()
            .unwrap()
            .trim_start_matches("/console/reviews/")
            .to_owned();
        let (_, mine) = session
            .get(&format!("/console/reviews/{review}?mine=1"))
            .await;
        assert!(
            mine.contains("jo@acme.example") && mine.contains("kim@acme.example"),
            "{mine}"
        );
        assert!(mine.contains("0 of 3 decided"), "{mine}");
        let (_, items) = p.get(&format!("/api/v1/reviews/{review}/items")).await;
        let jo_item = item_of(&items, "jo@acme.example", "availity-essentials")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/console/reviews/{review}/items/{jo_item}");
        let (_, to) = session
            .post(&path, &[("decision", "revoke"), ("comment", "")])
            .await;
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Not recorded"), "{page}");
        let (_, to) = session
            .post(
                &path,
                &[("decision", "revoke"), ("comment", "moved to scheduling")],
            )
            .await;
        let (_, page) = session.get(&to).await;
        assert!(
            page.contains("Revoked: the removal task is in the queue."),
            "{page}"
        );
        assert!(
            p.tasks(&jo, "open")
                .await
                .iter()
                .any(|t| t["kind"] == "deprovision" && t["cause"] == "review")
        );
        let kim_items: Vec<String> = items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["context"]["user_name"] == "kim@acme.example")
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        let mut keep: Vec<(&str, &str)> = kim_items.iter().map(|i| ("item", i.as_str())).collect();
        keep.push(("comment", "still at the front desk"));
        let (_, to) = session
            .post(&format!("/console/reviews/{review}/keep"), &keep)
            .await;
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Kept 2 accounts."), "{page}");
        assert!(page.contains("3 of 3 decided"), "{page}");

        let ada = crate::console::Session::sign_in(&p.app, "acme", "ada@acme.example").await;
        let (status, page) = ada.get(&format!("/console/reviews/{review}")).await;
        assert_eq!(status, 200);
        assert!(
            !page.contains(">Revoke<"),
            "an auditor is offered no decision: {page}"
        );
        let (status, _) = ada.post(&path, &[("decision", "keep")]).await;
        assert_eq!(status, 403);

        let (status, to) = session
            .post(&format!("/console/reviews/{review}/close"), &[])
            .await;
        assert_eq!(status, 303);
        let (_, page) = session.get(&to).await;
        assert!(page.contains("Review closed"), "{page}");
        let (_, closed) = p.get(&format!("/api/v1/reviews/{review}")).await;
        assert_eq!(closed["state"], "closed");
    }
);
