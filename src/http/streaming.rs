//! A stream of text chunks (an audit export) as a response body.

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};

/// Each chunk as bytes. An error mid-stream aborts the chunked response (no final chunk), so
/// the client sees it incomplete rather than a shorter body that looks whole.
pub fn text_body<E: std::fmt::Display>(
    chunks: impl Stream<Item = Result<String, E>>,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    chunks.map(|chunk| {
        chunk.map(Bytes::from).map_err(|err| {
            tracing::error!(error = %err, "a streamed response failed midway");
            actix_web::error::ErrorInternalServerError("the response failed midway")
        })
    })
}
