//! Query strings whose errors name the parameter (`limit`: invalid digit found in string),
//! where actix's `web::Query` says only that the request could not be parsed.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::errors::WireError;

/// The query string parsed into `T`; errors are 400 problems naming the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            parse_query(req.query_string())
                .map(Query)
                .map_err(Into::into),
        )
    }
}

/// `query` as a `T`, or a 400 that names the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, WireError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            WireError::bad_request(format!("invalid query string: {}", e.inner()))
        } else {
            WireError::bad_request(format!("query parameter `{path}`: {}", e.inner()))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Page {
        #[allow(dead_code)]
        limit: Option<u64>,
        #[allow(dead_code)]
        overdue: Option<bool>,
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        let err = parse_query::<Page>("limit=ten").unwrap_err();
        assert_eq!(
            err.detail,
            "query parameter `limit`: invalid digit found in string"
        );
        let err = parse_query::<Page>("overdue=maybe").unwrap_err();
        assert!(
            err.detail.starts_with("query parameter `overdue`"),
            "{}",
            err.detail
        );
        assert!(parse_query::<Page>("limit=10&overdue=true").is_ok());
    }
}
