//! Evidence files for tasks: a screenshot (PNG, JPEG) or PDF of the portal page, uploaded as
//! `multipart/form-data`, kept with its SHA-256, served back only within the practice.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::task::{evidence_file_type, evidence_filename};
use crate::http::Edge;
use crate::http::errors::WireError;
use crate::state::Caller;
use crate::store::evidence::EvidenceMeta;

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: Uuid,
    pub task_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the file, also in the audit trail.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<EvidenceMeta> for EvidenceView {
    fn from(m: EvidenceMeta) -> Self {
        Self {
            id: m.id,
            task_id: m.task_id,
            filename: m.filename,
            content_type: m.content_type,
            size: m.size,
            sha256: m.sha256,
            uploaded_by: m.uploaded_by,
            uploaded_at: m.uploaded_at,
        }
    }
}

fn ids(task: &str, file: Option<&str>) -> Result<(Uuid, Option<Uuid>), WireError> {
    let task = Uuid::try_parse(task).map_err(|_| WireError::not_found("task not found"))?;
    let file = file
        .map(|f| Uuid::try_parse(f).map_err(|_| WireError::not_found("evidence file not found")))
        .transpose()?;
    Ok((task, file))
}

list_of!(
    /// A task's evidence files.
    EvidenceList,
    EvidenceView
);

/// Attach a file (field `file`: PDF, PNG or JPEG, at most `evidence_limit_bytes`) to a task.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The task's id")),
    request_body(content = Object, content_type = "multipart/form-data", description = "A `file` field"),
    responses(
        (status = 201, description = "Stored", body = EvidenceView),
        (status = 404, description = "No such task", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 413, description = "File too large", content_type = "application/problem+json", body = crate::http::errors::Problem),
        (status = 422, description = "No file, or not a PDF, PNG or JPEG", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[post("/tasks/{id}/evidence")]
pub async fn upload(
    call: Caller,
    edge: web::Data<Edge>,
    id: web::Path<String>,
    mut form: Multipart,
) -> Result<HttpResponse, WireError> {
    let (task, _) = ids(&id, None)?;
    let limit = edge.evidence_limit_bytes;
    let unprocessable = |detail: &str| WireError::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| WireError::bad_request(format!("invalid multipart body: {e}")))?;
        if field.name() != Some("file") {
            continue;
        }
        let filename =
            evidence_filename(field.content_disposition().and_then(|d| d.get_filename()));
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| WireError::bad_request(format!("invalid multipart body: {e}")))?;
            if data.len() + chunk.len() > limit {
                return Err(WireError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("evidence files are limited to {limit} bytes"),
                ));
            }
            data.extend_from_slice(&chunk);
        }
        let content_type = evidence_file_type(&data)
            .ok_or_else(|| unprocessable("evidence must be a PDF, PNG or JPEG file"))?;
        let stored = call
            .store()
            .add_evidence(task, &filename, content_type, data, &call.actor())
            .await?;
        return Ok(HttpResponse::Created().json(EvidenceView::from(stored)));
    }
    Err(unprocessable(
        "send the file in a multipart field named `file`",
    ))
}

/// The files attached to a task.
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "Evidence files", body = EvidenceList))
)]
#[get("/tasks/{id}/evidence")]
pub async fn list(call: Caller, id: web::Path<String>) -> Result<HttpResponse, WireError> {
    let (task, _) = ids(&id, None)?;
    call.store().task(task).await?;
    let files: Vec<EvidenceView> = call
        .store()
        .evidence_of(task)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(EvidenceList::whole(files)))
}

/// Download one evidence file (as an attachment, never rendered inline).
#[utoipa::path(
    tag = "admin",
    params(("id" = String, Path, description = "The task's id"), ("file" = String, Path, description = "The file's id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = String),
        (status = 404, description = "No such file for this task", content_type = "application/problem+json", body = crate::http::errors::Problem),
    )
)]
#[get("/tasks/{id}/evidence/{file}")]
pub async fn download(
    call: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WireError> {
    let (task, file) = ids(&path.0, Some(&path.1))?;
    let (meta, data) = call
        .store()
        .evidence_file(task, file.unwrap_or_default())
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", meta.filename),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("X-Content-SHA256", meta.sha256))
        .body(data))
}
