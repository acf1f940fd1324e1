//! The effective configuration as `portcullis check-config` prints it: TOML a user could put in
//! `portcullis.toml`, with every secret masked.

use serde_json::Value;

use super::Settings;

/// What a masked secret reads as.
const MASK: &str = "********";

/// Settings whose values are secrets, wherever they appear (`console.oidc[].client_secret`).
const SECRET_KEYS: &[&str] = &["metrics_token", "client_secret", "hs256_secret", "password"];

impl Settings {
    /// The settings as TOML, secrets masked and the database password hidden; unset optional
    /// settings are left out (the example file lists them all).
    pub fn masked_toml(&self) -> Result<String, String> {
        let mut value = serde_json::to_value(self).map_err(|e| e.to_string())?;
        mask(&mut value);
        toml::to_string(&value).map_err(|e| e.to_string())
    }
}

fn mask(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, v| !v.is_null());
            for (key, field) in fields.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) {
                    *field = Value::String(MASK.to_owned());
                } else if key == "database_url"
                    && let Value::String(url) = field
                {
                    *url = without_password(url);
                } else {
                    mask(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some(MASK));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_the_database_password_are_masked() {
        let mut settings = Settings {
            database_url: "postgres://portcullis:hunter2hunter2@db.internal/portcullis".into(),
            metrics_token: Some("a-metrics-token-of-some-length".into()),
            ..Settings::default()
        };
        settings.console.oidc = Vec::new();
        let shown = settings.masked_toml().unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("a-metrics-token"), "{shown}");
        assert!(shown.contains("portcullis:********@db.internal"), "{shown}");
        assert!(shown.contains("metrics_token = \"********\""), "{shown}");
        // What is shown loads back as settings.
        let reread: toml::Value = toml::from_str(&shown).unwrap();
        assert_eq!(reread["retention"]["deliveries"].as_str(), Some("90d"));
    }
}
