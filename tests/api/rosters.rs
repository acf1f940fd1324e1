//! HR rosters, on both backends: a roster previewed (nothing changes) and committed writes the
//! directory as an identity provider would (joiners' tasks at once, the change named
//! `roster import <sha256>`); the next roster's movers, terminated rows and people no longer
//! listed (behind the shrink guard); the same file replayed; SCIM refused once a roster keeps
//! the directory, and a roster refused where SCIM does; bad files refused by row and column;
//! and the command line.

use serde_json::{Value, json};

use crate::browser::{
    Driver, accessibility_violations, at, click, field, screenshot, see, sign_in,
};
use crate::cli::{portcullis, run};
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

async fn upload(p: &Practice, csv: &str) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("adp-export.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let response = p
        .app
        .client
        .post(p.app.url("/api/v1/roster/imports"))
        .bearer_auth(&p.admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn commit(p: &Practice, import: &Value, body: Value) -> (u16, Value) {
    let id = import["id"].as_str().unwrap();
    p.post(&format!("/api/v1/roster/imports/{id}/commit"), body)
        .await
}

async fn person_named(p: &Practice, user_name: &str) -> Value {
    let found = p
        .scim
        .get(&format!("/Users?filter=userName%20eq%20%22{user_name}%22"))
        .await;
    found.expect(200)["Resources"][0].clone()
}

const FIRST: &str = "Employee ID,First Name,Last Name,Work Email,Job Title,Department,Status,Termination Date\r\n\
    E1,Ann,Lee,ann@acme.example,Front Desk,Front Office,Active,\r\n\
    E2,Bo,Chen,bo@acme.example,Front Desk,Front Office,Active,\r\n\
    E3,Cy,Diaz,cy@acme.example,Biller,Billing,Active,\r\n";

storage_test!(
    async fn a_roster_feeds_the_directory_as_an_identity_provider_would(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let (status, preview) = upload(&p, FIRST).await;
        assert_eq!(status, 201, "{preview}");
        assert_eq!(preview["state"], "previewed");
        assert_eq!(preview["plan"]["joiners"].as_array().unwrap().len(), 3);
        assert_eq!(preview["columns"]["email"], "Work Email");
        // The preview changed nothing.
        assert_eq!(p.scim.get("/Users").await.expect(200)["totalResults"], 0);

        let (status, done) = commit(&p, &preview, json!({})).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["replayed"], false);
        let ann = person_named(&p, "ann@acme.example").await;
        assert_eq!(ann["title"], "Front Desk");
        assert_eq!(ann["externalId"], "E1");
        let ann_id = ann["id"].as_str().unwrap().to_owned();
        // Her joiner tasks exist, planned as for an IdP's create.
        let tasks = p.tasks(&ann_id, "open").await;
        assert_eq!(tasks.len(), 2, "{tasks:?}");
        assert!(tasks.iter().all(|t| t["cause"] == "joiner"));
        // The directory's changes name the roster by its file's hash.
        let sha = preview["sha256"].as_str().unwrap();
        let (_, trail) = p.get("/api/v1/audit?limit=200").await;
        let by_roster = trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == format!("roster import {sha}"))
            .count();
        assert!(by_roster >= 3, "{trail}");

        // The same file again: nothing changes.
        let (_, again) = upload(&p, FIRST).await;
        assert_eq!(again["plan"]["unchanged"], 3, "{again}");
        let (status, replay) = commit(&p, &again, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(
            (replay["replayed"].clone(), replay["id"].clone()),
            (json!(true), preview["id"].clone())
        );

        // Ann moves to billing, Bo is terminated, Cy is no longer listed.
        let second = "Employee ID,First Name,Last Name,Work Email,Job Title,Department,Status,Termination Date\r\n\
            E1,Ann,Lee,ann@acme.example,Biller,Billing,Active,\r\n\
            E2,Bo,Chen,bo@acme.example,Front Desk,Front Office,Terminated,12/01/2026\r\n";
        let (_, next) = upload(&p, second).await;
        let plan = &next["plan"];
        assert_eq!(plan["movers"][0]["user_name"], "ann@acme.example");
        assert!(
            plan["movers"][0]["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "title: Front Desk → Biller"),
            "{plan}"
        );
        assert_eq!(plan["leavers"][0]["user_name"], "bo@acme.example");
        assert_eq!(plan["missing"][0]["user_name"], "cy@acme.example");
        assert_eq!(next["needs_confirmation"], true, "1 of 3 is more than 20 %");
        let (status, refused) = commit(&p, &next, json!({})).await;
        assert_eq!(status, 409, "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("confirm_missing: 1")
        );
        let (status, _) = commit(&p, &next, json!({"confirm_missing": 1})).await;
        assert_eq!(status, 200);
        let bo = person_named(&p, "bo@acme.example").await;
        assert_eq!(bo["active"], false, "{bo}");
        let cy = person_named(&p, "cy@acme.example").await;
        assert_eq!(cy["active"], false);
        assert_eq!(
            person_named(&p, "ann@acme.example").await["title"],
            "Biller"
        );

        // A roster keeps this practice's people now: SCIM writes are refused.
        let pushed = p
            .scim
            .post(
                "/Users",
                json!({"userName": "dee@acme.example", "active": true}),
            )
            .await;
        assert_eq!(pushed.status, 409, "{:?}", pushed.body);

        // A bad roster is refused whole, naming the row and column.
        let (status, problem) = upload(
            &p,
            "Work Email,Status\r\nann@acme.example,Active\r\nANN@acme.example,Active\r\n",
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("row 3, column `Work Email`"),
            "{problem}"
        );
    }
);

storage_test!(
    async fn a_practice_fed_by_scim_refuses_a_roster(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        p.hire("ann@acme.example", "Front Desk").await;
        let (status, preview) = upload(&p, FIRST).await;
        assert_eq!(status, 201, "{preview}");
        let (status, refused) = commit(&p, &preview, json!({})).await;
        assert_eq!(status, 409, "{refused}");
        assert!(
            refused["detail"].as_str().unwrap().contains("over SCIM"),
            "{refused}"
        );
        assert_eq!(p.scim.get("/Users").await.expect(200)["totalResults"], 1);
    }
);

/// `portcullis roster import` previews, and with `--commit` writes the directory.
#[test]
fn the_command_line_imports_a_roster() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/r.db?mode=rwc", dir.path().display());
    run(portcullis(dir.path(), &db)
        .args(["practice", "create", "--slug", "acme", "--name", "Acme"]));
    let file = dir.path().join("roster.csv");
    std::fs::write(&file, FIRST).unwrap();
    let shown = run(portcullis(dir.path(), &db)
        .args(["roster", "import", "--practice", "acme"])
        .arg(&file));
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(text.contains("3 joiners"), "{text}");
    assert!(text.contains("nothing changed"), "{text}");
    let committed = run(portcullis(dir.path(), &db)
        .args(["roster", "import", "--practice", "acme", "--commit"])
        .arg(&file));
    assert!(String::from_utf8_lossy(&committed.stdout).contains("committed import"));
    let again = run(portcullis(dir.path(), &db)
        .args(["roster", "import", "--practice", "acme", "--commit"])
        .arg(&file));
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        text.contains("3 unchanged") && text.contains("committed before"),
        "{text}"
    );
    std::fs::write(&file, "Name\nAnn\n").unwrap();
    let bad = portcullis(dir.path(), &db)
        .args(["roster", "import", "--practice", "acme"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("user name"));
}

storage_test!(
    /// In the browser: Pat uploads the roster on the People page, reads who joins (nothing
    /// changed yet), commits it, and finds the new people. The preview passes axe.
    async fn a_roster_is_uploaded_and_committed_in_the_browser(backend: Backend) {
        let p = Practice::new(spawn_app(&backend).await, "acme").await;
        let file = p.app.dir.path().join("adp-export.csv");
        std::fs::write(&file, FIRST).unwrap();
        let driver = Driver::start();
        let pat = driver.browser().await;
        sign_in(&pat, &p.app, "acme", "pat@acme.example").await;
        click(&pat, "People").await;
        see(&pat, "HR roster").await;
        field(&pat, "Roster (CSV)")
            .await
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        click(&pat, "Preview the roster").await;
        at(&pat, "/console/roster/").await;
        let shown = see(&pat, "Joining (3)").await;
        assert!(shown.contains("not yet: nothing has changed"), "{shown}");
        assert!(shown.contains("ann@acme.example"), "{shown}");
        assert_eq!(p.scim.get("/Users").await.expect(200)["totalResults"], 0);
        let violations = accessibility_violations(&pat).await;
        assert!(violations.is_empty(), "{violations:#?}");
        screenshot(&pat, &backend, "roster-preview").await;
        click(&pat, "Commit: write the roster to the directory").await;
        see(&pat, "Committed: the directory now matches the roster").await;
        click(&pat, "People").await;
        see(&pat, "Ann Lee").await;
        assert_eq!(p.scim.get("/Users").await.expect(200)["totalResults"], 3);
        pat.close().await.unwrap();
    }
);
