//! `deploy/portcullis.toml.example` documents every setting at its built-in value: as shipped
//! it loads to exactly the defaults, and with its commented-out settings switched on it names
//! every key there is.

use std::collections::BTreeSet;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde_json::Value;

use super::{IssuerConfig, OidcProviderConfig, Settings};

const EXAMPLE: &str = include_str!("../../deploy/portcullis.toml.example");

#[test]
fn the_example_as_shipped_is_the_defaults() {
    let loaded = Settings::from_figment(
        Figment::from(Serialized::defaults(Settings::default())).merge(Toml::string(EXAMPLE)),
    )
    .unwrap();
    let as_shipped = serde_json::to_value(&loaded).unwrap();
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    assert_eq!(as_shipped, defaults);
}

#[test]
fn the_example_names_every_setting() {
    let switched_on: toml::Value = toml::from_str(&uncommented()).unwrap();
    let named = paths(&serde_json::to_value(switched_on).unwrap());
    let mut every = paths(&serde_json::to_value(Settings::default()).unwrap());
    // Lists of tables are empty by default: their entries' keys come from full samples.
    let issuer: IssuerConfig = serde_json::from_value(serde_json::json!({
        "issuer": "i", "audience": [], "hs256_secret": "s", "jwks_url": "u", "practice": "p",
        "practice_claim": "c", "practice_map": {"k": "v"}, "scopes": [], "scopes_claim": "s",
    }))
    .unwrap();
    for key in object_keys(&serde_json::to_value(issuer).unwrap()) {
        every.insert(format!("jwt.issuers.{key}"));
    }
    let provider: OidcProviderConfig = serde_json::from_value(serde_json::json!({
        "practice": "p", "issuer": "i", "client_id": "c", "client_secret_env": "E", "label": "l",
    }))
    .unwrap();
    for key in object_keys(&serde_json::to_value(provider).unwrap()) {
        every.insert(format!("console.oidc.{key}"));
    }
    every.insert("console.oidc.client_secret".to_owned());
    // `tls` is unset by default: a table of two settings.
    every.remove("tls");
    every.extend(["tls.cert_file".to_owned(), "tls.key_file".to_owned()]);
    let missing: Vec<_> = every.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "settings missing from the example: {missing:?}"
    );
    let unknown: Vec<_> = named.difference(&every).collect();
    assert!(
        unknown.is_empty(),
        "the example names no such settings: {unknown:?}"
    );
}

/// The example with `# key = value` and `# [table]` lines switched on (`# # …` stays a comment).
fn uncommented() -> String {
    EXAMPLE
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.split_once(" = ").is_some_and(|(key, _)| {
                        key.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    }) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Dotted paths of every leaf and unset (null) setting; lists of tables are entered.
fn paths(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    walk(value, "", &mut found);
    found
}

fn walk(value: &Value, prefix: &str, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) if prefix.is_empty() || !is_map_setting(prefix) => {
            for (key, field) in fields {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                walk(field, &path, found);
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            for item in items {
                walk(item, prefix, found);
            }
        }
        Value::Array(items) if items.is_empty() && is_table_list(prefix) => {}
        _ => {
            found.insert(prefix.to_owned());
        }
    }
}

/// Settings whose value is itself a free-form map (`practice_map`), not a table of settings.
fn is_map_setting(path: &str) -> bool {
    path.ends_with("practice_map")
}

/// Lists of tables, which the defaults leave empty.
fn is_table_list(path: &str) -> bool {
    matches!(path, "jwt.issuers" | "console.oidc")
}

fn object_keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .map(|fields| fields.keys().cloned().collect())
        .unwrap_or_default()
}
