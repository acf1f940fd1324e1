//! The console's Policy page over HTTP: the rules as people read them, one rule edited in a
//! form, "Preview" (who gains and loses what; nothing stored), "Save" through the same checks
//! and mass-revocation guard as the API, a stale form refused, and the version history with
//! who saved each.

use crate::console::Session;
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

storage_test!(
    async fn the_policy_is_edited_previewed_and_saved_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let jo = p.hire("jo@acme.example", "Front Desk").await;
        p.hire("kim@acme.example", "Receptionist").await;
        p.record(&jo, "availity-essentials", &["eligibility-benefits"])
            .await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;

        let (status, page) = pat.get("/console/policy").await;
        assert_eq!(status, 200, "{page}");
        for shown in [
            "Front desk",
            "title Front Desk or Receptionist",
            "Availity Essentials: Eligibility and Benefits Inquiry",
            "Version 1, saved by",
            "Version history",
            "Add a rule",
        ] {
            assert!(page.contains(shown), "{shown:?} in {page}");
        }

        let (status, form) = pat.get("/console/policy/rule?name=Front%20desk").await;
        assert_eq!(status, 200, "{form}");
        assert!(
            form.contains(">Front Desk\nReceptionist</textarea>"),
            "{form}"
        );
        assert!(
            form.contains("value=\"availity-essentials/eligibility-benefits\" checked"),
            "{form}"
        );
        let edit = |go: &'static str, titles: &'static str, base: &'static str| {
            vec![
                ("base_version", base),
                ("original", "Front desk"),
                ("name", "Front desk"),
                ("title", titles),
                ("grant", "availity-essentials/eligibility-benefits"),
                ("grant", "noridian-nmp/eligibility"),
                ("go", go),
            ]
        };

        // Preview: Kim (a receptionist) would lose both roles; nothing is stored.
        let (status, preview) = pat
            .post("/console/policy/rule", &edit("preview", "Front Desk", "1"))
            .await;
        assert_eq!(status, 200, "{preview}");
        assert!(preview.contains("<h3>Losses</h3>"), "{preview}");
        assert!(
            preview.contains("Receptionist kim@acme.example"),
            "{preview}"
        );
        assert!(!preview.contains("<h3>Gains</h3>"), "{preview}");
        assert!(
            preview.contains("0 roles would be granted and 2 taken away"),
            "{preview}"
        );
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 1);

        // Save: a new version under Pat's name, back on the page with a notice.
        let (status, to) = pat
            .post("/console/policy/rule", &edit("save", "Front Desk", "1"))
            .await;
        assert_eq!(status, 303, "{to}");
        assert!(to.starts_with("/console/policy?notice="), "{to}");
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 2);
        assert_eq!(
            current["document"]["rules"][0]["when"]["title"][0],
            "Front Desk"
        );
        assert!(
            current["actor"]
                .as_str()
                .unwrap()
                .contains("pat@acme.example")
        );
        let (_, page) = pat.get(&to).await;
        assert!(
            page.contains("Rule saved: the policy is now version 2."),
            "{page}"
        );
        // A status line only this console put in the URL is shown.
        let (_, page) = pat.get("/console/policy?notice=Call%20555-0100&ns=0").await;
        assert!(!page.contains("Call 555-0100"), "{page}");
        let (status, _) = pat
            .post(
                "/console/policy/rule",
                &[
                    ("base_version", "2"),
                    ("original", "No such rule"),
                    ("name", "x"),
                    ("go", "delete"),
                ],
            )
            .await;
        assert_eq!(status, 404);

        // A form opened before that save is refused, and saves nothing.
        let (status, stale) = pat
            .post("/console/policy/rule", &edit("save", "Nurse", "1"))
            .await;
        assert_eq!(status, 409, "{stale}");
        assert!(
            stale.contains("The policy changed since this form was opened"),
            "{stale}"
        );
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 2);

        // Refusals name what to fix and keep what was typed.
        let (status, bad) = pat
            .post(
                "/console/policy/rule",
                &[
                    ("base_version", "2"),
                    ("name", "Coders"),
                    ("title", "Coder"),
                    ("grant", "cigna-for-hcp/admin"),
                    ("go", "save"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{bad}");
        assert!(bad.contains("is not one of the practice"), "{bad}");
        assert!(bad.contains(">Coder</textarea>"), "{bad}");

        // Deleting the rule would take Jo's recorded account: more than the share allowed
        // unconfirmed, so the number must be typed.
        let delete = |confirm: &'static str| {
            vec![
                ("base_version", "2"),
                ("original", "Front desk"),
                ("name", "Front desk"),
                ("title", "Front Desk"),
                ("grant", "availity-essentials/eligibility-benefits"),
                ("confirm_revocations", confirm),
                ("go", "delete"),
            ]
        };
        let (status, guarded) = pat.post("/console/policy/rule", &delete("")).await;
        assert_eq!(status, 409, "{guarded}");
        assert!(guarded.contains("would open 1 removal tasks"), "{guarded}");
        assert!(guarded.contains("Removal tasks to confirm"), "{guarded}");
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 2);
        let (status, to) = pat.post("/console/policy/rule", &delete("1")).await;
        assert_eq!(status, 303, "{to}");
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 3);
        assert_eq!(current["document"]["rules"].as_array().unwrap().len(), 1);
        let removals = p.tasks(&jo, "open").await;
        assert!(
            removals.iter().any(|t| t["kind"] == "deprovision"),
            "{removals:?}"
        );

        // The history names who saved each version.
        let (_, page) = pat.get("/console/policy").await;
        let history = &page[page.find("Version history").unwrap()..];
        for version in ["<td>3</td>", "<td>2</td>", "<td>1</td>"] {
            assert!(history.contains(version), "{version} in {history}");
        }
        assert_eq!(history.matches("<td>pat").count(), 3, "{history}");

        // An auditor reads the policy but cannot change it.
        crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let ada = Session::sign_in(&p.app, "acme", "ada@acme.example").await;
        let (status, page) = ada.get("/console/policy").await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("Add a rule")
                && page.contains("Portal administrators change the policy")
        );
        let (status, _) = ada
            .post("/console/policy/rule", &edit("save", "Front Desk", "3"))
            .await;
        assert_eq!(status, 403);
        let (_, current) = p.get("/api/v1/policy").await;
        assert_eq!(current["version"], 3);
    }
);
