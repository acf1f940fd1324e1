//! Evidence files: kept with their SHA-256, readable only within the task's practice.

use entities::{evidence_file, task};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit;
use super::{StoreError, TenantStore};
use crate::domain::actor::Actor;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceMeta {
    pub id: Uuid,
    pub task_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

/// A file's columns without its content: listing never loads the data.
type MetaRow = (
    Uuid,
    String,
    String,
    i64,
    Vec<u8>,
    String,
    chrono::DateTime<chrono::Utc>,
);

impl TenantStore<'_> {
    pub async fn add_evidence(
        &self,
        task_id: Uuid,
        filename: &str,
        content_type: &str,
        data: Vec<u8>,
        actor: &Actor,
    ) -> Result<EvidenceMeta, StoreError> {
        let tx = self.begin_write().await?;
        task::Entity::find_by_id(task_id)
            .filter(task::Column::PracticeId.eq(self.practice.as_uuid()))
            .one(&tx.tx)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        let sha: [u8; 32] = Sha256::digest(&data).into();
        let id = Uuid::now_v7();
        let size = data.len() as i64;
        evidence_file::Entity::insert(evidence_file::ActiveModel {
            id: Set(id),
            practice_id: Set(self.practice.as_uuid()),
            task_id: Set(task_id),
            filename: Set(filename.to_owned()),
            content_type: Set(content_type.to_owned()),
            size: Set(size),
            sha256: Set(sha.to_vec()),
            data: Set(data),
            uploaded_by: Set(actor.name.to_owned()),
            uploaded_at: Set(actor.at),
        })
        .exec_without_returning(&tx.tx)
        .await?;
        audit::append(&tx.tx, self.practice, actor, "task.evidence", &format!("task {task_id}"),
            Some(json!({"file": id, "filename": filename, "content_type": content_type, "size": size, "sha256": hex::encode(sha)}))).await?;
        tx.commit().await?;
        Ok(EvidenceMeta {
            id,
            task_id,
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            size: size as u64,
            sha256: hex::encode(sha),
            uploaded_by: actor.name.to_owned(),
            uploaded_at: actor.at,
        })
    }

    /// Whether a file has been uploaded as the task's evidence, read in the write transaction.
    pub(crate) async fn has_evidence_file(
        &self,
        tx: &super::WriteTx,
        task_id: Uuid,
    ) -> Result<bool, StoreError> {
        Ok(evidence_file::Entity::find()
            .select_only()
            .column(evidence_file::Column::Id)
            .filter(evidence_file::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(evidence_file::Column::TaskId.eq(task_id))
            .into_tuple::<Uuid>()
            .one(&tx.tx)
            .await?
            .is_some())
    }

    pub async fn evidence_of(&self, task_id: Uuid) -> Result<Vec<EvidenceMeta>, StoreError> {
        let rows: Vec<MetaRow> = evidence_file::Entity::find()
            .select_only()
            .column(evidence_file::Column::Id)
            .column(evidence_file::Column::Filename)
            .column(evidence_file::Column::ContentType)
            .column(evidence_file::Column::Size)
            .column(evidence_file::Column::Sha256)
            .column(evidence_file::Column::UploadedBy)
            .column(evidence_file::Column::UploadedAt)
            .filter(evidence_file::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(evidence_file::Column::TaskId.eq(task_id))
            .order_by_asc(evidence_file::Column::UploadedAt)
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, filename, content_type, size, sha, uploaded_by, uploaded_at)| EvidenceMeta {
                    id,
                    task_id,
                    filename,
                    content_type,
                    size: u64::try_from(size).unwrap_or(0),
                    sha256: hex::encode(sha),
                    uploaded_by,
                    uploaded_at,
                },
            )
            .collect())
    }

    /// One file's content, for this practice only.
    pub async fn evidence_file(
        &self,
        task_id: Uuid,
        file: Uuid,
    ) -> Result<(EvidenceMeta, Vec<u8>), StoreError> {
        let row = evidence_file::Entity::find_by_id(file)
            .filter(evidence_file::Column::PracticeId.eq(self.practice.as_uuid()))
            .filter(evidence_file::Column::TaskId.eq(task_id))
            .one(self.db)
            .await?
            .ok_or(StoreError::NotFound("evidence file"))?;
        let meta = EvidenceMeta {
            id: row.id,
            task_id,
            filename: row.filename,
            content_type: row.content_type,
            size: u64::try_from(row.size).unwrap_or(0),
            sha256: hex::encode(&row.sha256),
            uploaded_by: row.uploaded_by,
            uploaded_at: row.uploaded_at,
        };
        Ok((meta, row.data))
    }
}
