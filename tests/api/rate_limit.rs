//! Per-credential rate limiting: 429 with an integer `Retry-After`, in each protocol's format.

use crate::helpers::{assert_problem, assert_scim_error, spawn_app_with, storage_test};

storage_test!(
    async fn over_quota_gets_429_with_integer_retry_after(backend: Backend) {
        let app = spawn_app_with(&backend, |s| {
            s.rate_limit.per_second = 1;
            s.rate_limit.burst = 2;
        })
        .await;
        let practice = app.practice("acme").await;
        let busy = app.token(&practice, "scim,admin:read").await;
        let quiet = app.token(&practice, "scim,admin:read").await;

        assert_eq!(app.get("/api/v1/whoami", &busy).await.status(), 200);
        assert_eq!(app.get("/api/v1/whoami", &busy).await.status(), 200);

        let limited = app.get("/api/v1/whoami", &busy).await;
        let retry_after = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .to_owned();
        let seconds: u64 = retry_after.parse().expect("Retry-After is whole seconds");
        assert!((1..=2).contains(&seconds), "{seconds}");
        assert_problem(limited, 429).await;

        // The SCIM path answers in SCIM's format, with the same header.
        let scim = app.get("/scim/v2/Users", &busy).await;
        assert!(
            scim.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .is_ok()
        );
        assert_eq!(assert_scim_error(scim, 429).await["status"], "429");

        // Another credential has its own bucket, even from the same address.
        assert_eq!(app.get("/api/v1/whoami", &quiet).await.status(), 200);
    }
);
