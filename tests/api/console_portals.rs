//! The console's portal pages over HTTP: one portal's roles and the practice's settings for it
//! (identifiers, administrator limits, its own deadlines, sign-in URL) edited in a form with
//! the API's checks and its version guard, and a portal of the practice's own added.

use crate::console::Session;
use crate::helpers::{spawn_app, storage_test};
use crate::lifecycle::Practice;

storage_test!(
    async fn a_portal_is_edited_and_an_own_portal_added_in_the_console(backend: Backend) {
        let app = spawn_app(&backend).await;
        let p = Practice::new(app, "acme").await;
        let pat = Session::sign_in(&p.app, "acme", "pat@acme.example").await;
        let (status, page) = pat.get("/console/portals/availity-essentials").await;
        assert_eq!(status, 200, "{page}");
        for shown in [
            "Eligibility and Benefits Inquiry",
            "name=\"tin\" value=\"123456789\"",
            "Practice: 1h",
        ] {
            assert!(page.contains(shown), "{shown:?} in {page}");
        }
        let (_, before) = p.get("/api/v1/practice-portals/availity-essentials").await;
        let version = before["version"].to_string();
        let form = |tin: &'static str, version: &str| {
            vec![
                ("version", version.to_owned()),
                ("tin", tin.to_owned()),
                ("group_npi", "1234567893".to_owned()),
                ("ptan", "".to_owned()),
                ("trading_partner_id", "".to_owned()),
                ("url", "".to_owned()),
                ("min_admins", "2".to_owned()),
                ("max_admins", "".to_owned()),
                ("deprovision", "30m".to_owned()),
                ("modify_removal", "".to_owned()),
                ("provision", "".to_owned()),
                ("transfer_admin", "".to_owned()),
                ("notify_third_party", "".to_owned()),
            ]
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let pat = &pat;
            async move {
                let borrowed: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                pat.post("/console/portals/availity-essentials", &borrowed)
                    .await
            }
        };
        let (status, refused) = post(form("12345", &version)).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("tin"), "{refused}");
        assert!(
            refused.contains("value=\"12345\""),
            "what was typed stays: {refused}"
        );
        let (status, to) = post(form("987654321", &version)).await;
        assert_eq!(status, 303, "{to}");
        let (_, after) = p.get("/api/v1/practice-portals/availity-essentials").await;
        assert_eq!(after["org_scope"]["tin"], "987654321", "{after}");
        assert_eq!(after["org_scope"]["group_npi"], "1234567893");
        assert_eq!(after["min_admins"], 2);
        assert!(after["sla_overrides"]["deprovision"].is_string(), "{after}");
        // A form opened before that save changes nothing.
        let (status, stale) = post(form("111111111", &version)).await;
        assert_eq!(status, 422, "{stale}");
        assert!(stale.contains("Someone changed this portal"), "{stale}");
        let (_, after) = p.get("/api/v1/practice-portals/availity-essentials").await;
        assert_eq!(after["org_scope"]["tin"], "987654321");

        // A portal of the practice's own.
        let own = |roles: &'static str| {
            vec![
                ("name", "Sunshine Health"),
                ("url", "https://sunshine.example/login"),
                ("kind", "medicaid"),
                ("roles", roles),
                ("user_admin_place", "Account > Users"),
            ]
        };
        let (status, refused) = pat
            .post("/console/portal-definitions", &own("Eligibility"))
            .await;
        assert_eq!(status, 422, "{refused}");
        assert!(
            refused.contains("needs its kind of data after a comma"),
            "{refused}"
        );
        let (status, to) = pat
            .post(
                "/console/portal-definitions",
                &own("Eligibility, eligibility\r\nClaims, claims\r\nAdministrator, admin"),
            )
            .await;
        assert_eq!(status, 303, "{to}");
        assert!(
            to.starts_with("/console/portals/sunshine-health?notice="),
            "{to}"
        );
        let (_, sunshine) = p.get("/api/v1/practice-portals/sunshine-health").await;
        assert_eq!(sunshine["custom"], true, "{sunshine}");
        let roles = sunshine["definition"]["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 3, "{sunshine}");
        assert_eq!(roles[2]["is_admin"], true);
        let (_, page) = pat.get("/console/portals").await;
        assert!(page.contains("Sunshine Health"), "{page}");

        // An auditor sees the portal but no form.
        crate::console::another_admin(&p, "ada@acme.example", "auditor").await;
        let ada = Session::sign_in(&p.app, "acme", "ada@acme.example").await;
        let (status, page) = ada.get("/console/portals/availity-essentials").await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("<button type=\"submit\">Save</button>"),
            "{page}"
        );
        let (status, _) = ada
            .post("/console/portals/availity-essentials", &[("version", "1")])
            .await;
        assert_eq!(status, 403);
    }
);
