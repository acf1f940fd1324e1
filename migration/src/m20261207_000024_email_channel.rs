//! E-mail as an alert channel: a practice's SMTP settings ride on a `webhook` row of format
//! `email` (so e-mails share the outbox, the delivery queue, retries and dead-lettering with
//! webhooks); the settings themselves (server, port, security, user, the environment variable
//! holding the password, the sender) are this JSON column. Never a password.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Webhook::Table)
                    .add_column(ColumnDef::new(Webhook::Smtp).json().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Webhook::Table)
                    .drop_column(Webhook::Smtp)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Smtp,
}
