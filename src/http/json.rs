//! JSON request bodies whose errors say which field to fix.
//!
//! actix's `web::Json` reports serde's message alone (`invalid type: integer, expected a string
//! at line 1 column 12`, or `EOF while parsing a value` for an empty body), which leaves the
//! user guessing. [`Json`] reads the body the same way (within `body_limit_bytes`) and names
//! the field by its path (`rules[2].grant`), and for an empty body says what it must contain.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::errors::WireError;

/// A request body parsed as JSON into `T`; errors are 400 problems naming the field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            parse_body(&body).map(Json).map_err(Into::into)
        })
    }
}

/// `body` as a `T`, or a 400 that names the field at fault.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // Nothing sent: fine where every field is optional, else say which are needed.
        return serde_json::from_str::<T>("{}").map_err(|e| {
            WireError::bad_request(format!(
                "the request body is empty; send a JSON object ({})",
                without_position(&e)
            ))
        });
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value =
        serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|e| describe(&e))?;
    deserializer
        .end()
        .map_err(|e| WireError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    Ok(value)
}

fn describe(e: &serde_path_to_error::Error<serde_json::Error>) -> WireError {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return WireError::bad_request(format!("the request body is not valid JSON: {inner}"));
    }
    let path = e.path().to_string();
    let message = without_position(inner);
    if path == "." || path.is_empty() {
        WireError::bad_request(format!("invalid request body: {message}"))
    } else {
        WireError::bad_request(format!("`{path}`: {message}"))
    }
}

/// serde_json's message without " at line 1 column 12": the field's path says where.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Reason {
        #[allow(dead_code)]
        reason: String,
    }

    #[derive(Debug, Deserialize)]
    struct Rules {
        #[allow(dead_code)]
        rules: Vec<Rule>,
    }

    #[derive(Debug, Deserialize)]
    struct Rule {
        #[allow(dead_code)]
        name: String,
    }

    #[derive(Debug, Deserialize, Default)]
    struct Optional {
        #[allow(dead_code)]
        note: Option<String>,
    }

    fn detail<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        parse_body::<T>(body.as_bytes()).unwrap_err().detail
    }

    #[test]
    fn an_empty_body_says_which_fields_are_needed() {
        assert_eq!(
            detail::<Reason>(""),
            "the request body is empty; send a JSON object (missing field `reason`)"
        );
        assert!(parse_body::<Optional>(b" \n").is_ok());
    }

    #[test]
    fn a_wrong_type_names_the_field_by_its_path() {
        assert_eq!(
            detail::<Rules>(r#"{"rules": [{"name": "a"}, {"name": 5}]}"#),
            "`rules[1].name`: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            detail::<Reason>(r#"{"reason": "x", "extra": 1}"#),
            "`extra`: unknown field `extra`, expected `reason`"
        );
        assert_eq!(
            detail::<Reason>("{}"),
            "invalid request body: missing field `reason`"
        );
    }

    #[test]
    fn broken_json_says_so_with_its_position() {
        let text = detail::<Reason>(r#"{"reason": "#);
        assert!(
            text.starts_with("the request body is not valid JSON: EOF"),
            "{text}"
        );
        let text = detail::<Reason>(r#"{"reason": "x"} trailing"#);
        assert!(text.contains("trailing characters"), "{text}");
    }
}
