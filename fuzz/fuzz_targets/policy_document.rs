//! The access policy document as `PUT /api/v1/policy` meets it: JSON read into a
//! `PolicyDocument` (unknown fields refused), validated against the built-in portal catalogue
//! (as if the practice used every portal), then matched against a person the same bytes
//! describe. A document that reads must write back to the same document.
//! Any panic is a bug: a bad policy must be a 400 or a 422, never a crash.

#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use portcullis::domain::catalog::Catalog;
use portcullis::domain::policy::{PersonFacts, PolicyDocument};

/// Read once: parsing the catalogue's TOML on every input would dominate the run.
static CATALOG: OnceLock<Option<Catalog>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<PolicyDocument>(data) else {
        return;
    };
    let Some(catalog) = CATALOG.get_or_init(|| Catalog::builtin().ok()) else {
        return;
    };
    let _ = document.validate(|slug| {
        catalog.portal(slug).map(|p| {
            p.roles
                .iter()
                .map(|r| r.slug.clone())
                .collect::<BTreeSet<_>>()
        })
    });

    // A person whose facts are the rules' own values, so matching is exercised.
    let first = |values: &[String]| values.first().cloned();
    for rule in &document.rules {
        let person = PersonFacts {
            title: first(&rule.when.title),
            department: first(&rule.when.department),
            division: first(&rule.when.division),
            cost_center: first(&rule.when.cost_center),
            employee_type: first(&rule.when.employee_type),
            groups: rule.when.group.clone(),
        };
        let _ = document.entitlements(&person);
        let _ = document.is_terminated(&person);
        let _ = document.is_third_party(&person);
    }

    let written = serde_json::to_vec(&document).unwrap_or_default();
    let read: Result<PolicyDocument, _> = serde_json::from_slice(&written);
    assert_eq!(
        read.ok().as_ref(),
        Some(&document),
        "policy does not round-trip"
    );
});
