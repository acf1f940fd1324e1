//! Exporting a practice's audit trail for a period, streamed in batches (a six-year trail is
//! never held in memory), as JSON Lines or CSV, for the admin API and the console alike. The
//! export first signs the chain's head: that checkpoint's record (`audit.checkpoint`) is
//! always the last line, so a file without it was cut short.

use std::pin::Pin;

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use crate::domain::actor::Actor;
use crate::domain::audit::at_text;
use crate::domain::audit::checkpoint::AuditSigner;
use crate::domain::csv::csv_field;
use crate::engine::checkpoint::checkpoint_for_export;
use crate::store::audit::{AuditFilter, AuditRecord};
use crate::store::{PracticeId, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Every field the hash covers: `portcullis audit verify-export` checks it offline.
    JsonLines,
    Csv,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::JsonLines => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::JsonLines => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

/// The export's text, chunk by chunk; an error ends it early (the caller aborts the response,
/// so the missing checkpoint line shows it incomplete).
pub type ExportStream = Pin<Box<dyn Stream<Item = Result<String, StoreError>>>>;

/// Signs a checkpoint of the chain's head (audited as `actor`), then streams the records of
/// `[from, to)` up to it, and the checkpoint's own record last.
pub async fn export_audit(
    store: Store,
    practice: PracticeId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    format: ExportFormat,
    signer: &AuditSigner,
    actor: &Actor,
) -> Result<ExportStream, StoreError> {
    let checkpoint = checkpoint_for_export(&store.tenant(practice), signer, actor).await?;
    let header = (format == ExportFormat::Csv)
        .then(|| "seq,at,actor,action,target,request_id,hash,detail\r\n".to_owned());
    let records = {
        let store = store.clone();
        // (the next batch starts after this seq, finished?)
        futures_util::stream::unfold((0_i64, false), move |(after, done)| {
            let store = store.clone();
            async move {
                if done {
                    return None;
                }
                let filter = AuditFilter {
                    from,
                    to,
                    after_seq: Some(after),
                    up_to_seq: Some(checkpoint - 1),
                    limit: 1000,
                    ..Default::default()
                };
                let batch = match store.tenant(practice).audit_records(&filter).await {
                    Ok(batch) => batch,
                    Err(err) => return Some((Err(err), (after, true))),
                };
                let last = batch.last()?.seq;
                let out: String = batch
                    .into_iter()
                    .map(|r| line(r, format, practice))
                    .collect();
                Some((Ok(out), (last, false)))
            }
        })
    };
    // The checkpoint's own record, whatever `from` and `to` say.
    let last = futures_util::stream::once(async move {
        let filter = AuditFilter {
            after_seq: Some(checkpoint - 1),
            up_to_seq: Some(checkpoint),
            limit: 1,
            ..Default::default()
        };
        let records = store.tenant(practice).audit_records(&filter).await?;
        Ok(records
            .into_iter()
            .map(|r| line(r, format, practice))
            .collect::<String>())
    });
    Ok(Box::pin(
        futures_util::stream::iter(header.map(Ok))
            .chain(records)
            .chain(last),
    ))
}

/// One record as an export line. A JSON line holds every field the hash covers, `at` exactly
/// as hashed.
fn line(r: AuditRecord, format: ExportFormat, practice: PracticeId) -> String {
    match format {
        ExportFormat::Csv => {
            let fields = [
                r.seq.to_string(),
                r.at.to_rfc3339(),
                r.actor,
                r.action,
                r.target,
                r.request_id.unwrap_or_default(),
                r.hash,
                r.detail.map(|d| d.to_string()).unwrap_or_default(),
            ];
            let mut out = fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",");
            out.push_str("\r\n");
            out
        }
        ExportFormat::JsonLines => {
            let mut out = serde_json::json!({
                "practice_id": practice.as_uuid(),
                "seq": r.seq,
                "at": at_text(r.at),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "detail": r.detail,
                "request_id": r.request_id,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            })
            .to_string();
            out.push('\n');
            out
        }
    }
}
