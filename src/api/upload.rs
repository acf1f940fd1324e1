//! A CSV file uploaded as `multipart/form-data` (portal user lists, HR rosters): the `file`
//! field, held to the uploaded-file limit, and an optional `columns` field with the column
//! mapping as JSON.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::domain::csv_file::MAX_BYTES;
use crate::domain::task::evidence_filename;
use crate::http::errors::WireError;

#[derive(Debug)]
pub(super) struct CsvUpload<C> {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub columns: Option<C>,
}

/// Reads the form; `what` names the file in errors ("user lists"), `example` is a mapping to
/// show when `columns` does not parse.
pub(super) async fn csv_upload<C: DeserializeOwned>(
    mut form: Multipart,
    what: &str,
    example: &str,
) -> Result<CsvUpload<C>, WireError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut columns = None;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| WireError::bad_request(format!("invalid multipart body: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name =
            evidence_filename(field.content_disposition().and_then(|d| d.get_filename()));
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| WireError::bad_request(format!("invalid multipart body: {e}")))?;
            if data.len() + chunk.len() > MAX_BYTES {
                return Err(WireError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("{what} are limited to {MAX_BYTES} bytes (10 MiB)"),
                ));
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => file = Some((file_name, data)),
            "columns" if !data.iter().all(u8::is_ascii_whitespace) => {
                columns = Some(serde_json::from_slice(&data).map_err(|e| {
                    WireError::bad_request(format!(
                        "`columns` is not a column mapping: {e} (for example {example})"
                    ))
                })?);
            }
            _ => {}
        }
    }
    let (file_name, bytes) = file.ok_or_else(|| {
        WireError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "send the file in a multipart field named `file`",
        )
    })?;
    Ok(CsvUpload {
        file_name,
        bytes,
        columns,
    })
}
