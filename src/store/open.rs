//! Why the database could not be opened, in words that say what to fix: the database that
//! does not exist (and how to create it), the host and port that refused, the SQLite file that
//! is missing. Never the password, which the URL may hold.

use std::str::FromStr;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{Connection, Error as Sqlx};
use sea_orm::{DbErr, RuntimeErr};

/// SQLite's `SQLITE_CANTOPEN`: the file (or its directory) is missing or not accessible.
const SQLITE_CANTOPEN: &str = "14";
/// PostgreSQL's `invalid_catalog_name`: the database named in the URL does not exist.
const PG_NO_SUCH_DATABASE: &str = "3D000";
/// PostgreSQL's `invalid_password` and `invalid_authorization_specification`.
const PG_AUTH_FAILED: [&str; 2] = ["28P01", "28000"];

/// PostgreSQL's `duplicate_prepared_statement` and `invalid_sql_statement_name`.
const PG_PREPARED_STATEMENT_CLASHES: [&str; 2] = ["42P05", "26000"];

/// What to do when a statement failed because a connection pooler shares server sessions
/// between our connections. The driver names its prepared statements per connection
/// (`sqlx_s_1`, …): on a shared session the second connection to prepare one is refused
/// (42P05), and a connection handed another session finds its statement missing (26000).
/// That is PgBouncer in transaction (or statement) mode without `database_pooler` set;
/// `None` for any other error.
pub fn pooler_hint(err: &DbErr) -> Option<&'static str> {
    let Some(Sqlx::Database(db)) = sqlx_error(err) else {
        return None;
    };
    let clash = db
        .code()
        .is_some_and(|code| PG_PREPARED_STATEMENT_CLASHES.contains(&code.as_ref()))
        && db.message().contains("\"sqlx_s_");
    clash.then_some(POOLER_ADVICE)
}

/// Why a pooler that shares server sessions breaks us, and what to do instead.
pub const POOLER_ADVICE: &str = "a connection pooler is sharing server sessions between \
     connections (PgBouncer in transaction mode), which the driver's named prepared \
     statements cannot survive: set `database_pooler = \"transaction\"` \
     (PORTCULLIS_DATABASE_POOLER=transaction), run PgBouncer in session mode with a pool at \
     least `database_max_connections` per instance, or connect to PostgreSQL directly";

/// What [`shares_server_sessions`] reports: a pooler that hands one server session to several
/// of our connections.
pub const SHARED_SESSIONS: &str = "two connections held at once reached the same PostgreSQL \
     session";

/// Whether two pool connections held at the same time reach the same server session (the same
/// backend process): then a pooler in transaction or statement mode sits in between, and
/// prepared statements named on one connection could run, under another's name, on the
/// other. Directly, or through a session-mode pooler, two held connections never share a
/// backend. Asked over the simple query protocol, which prepares nothing.
pub async fn shares_server_sessions(pool: &sea_orm::sqlx::PgPool) -> Result<bool, Sqlx> {
    async fn backend(conn: &mut PgConnection) -> Result<i32, Sqlx> {
        use sea_orm::sqlx::Row;
        let row = sea_orm::sqlx::raw_sql("SELECT pg_backend_pid()")
            .fetch_one(conn)
            .await?;
        row.try_get::<i32, _>(0)
    }
    let mut first = pool.acquire().await?;
    let mut second = pool.acquire().await?;
    Ok(backend(&mut first).await? == backend(&mut second).await?)
}

/// One sentence for an error from opening `url`. The pool retries a connection that fails
/// at the network level until its timeout and then says only that it timed out; one direct
/// attempt finds the cause (refused, unknown host) to report instead.
pub async fn describe_open_error(url: &str, err: &DbErr) -> String {
    if let Some(Sqlx::PoolTimedOut) = sqlx_error(err)
        && !url.starts_with("sqlite:")
    {
        let attempt = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            let options = PgConnectOptions::from_str(url)?;
            PgConnection::connect_with(&options).await
        })
        .await;
        if let Ok(Err(cause)) = attempt {
            return describe_postgres(url, &cause);
        }
    }
    describe(url, err)
}

fn sqlx_error(err: &DbErr) -> Option<&Sqlx> {
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

fn describe(url: &str, err: &DbErr) -> String {
    let sqlx = match err {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e.as_ref(),
        DbErr::Conn(RuntimeErr::Internal(message)) => {
            return format!("{message} (database_url {})", redacted(url));
        }
        other => return format!("{} (database_url {})", other, redacted(url)),
    };
    if url.starts_with("sqlite:") {
        describe_sqlite(url, sqlx)
    } else {
        describe_postgres(url, sqlx)
    }
}

fn describe_sqlite(url: &str, err: &Sqlx) -> String {
    let file = SqliteConnectOptions::from_str(url)
        .map(|o| o.get_filename().display().to_string())
        .unwrap_or_else(|_| url.to_owned());
    match err {
        Sqlx::Database(db) if db.code().as_deref() == Some(SQLITE_CANTOPEN) => {
            let directory = std::path::Path::new(&file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty());
            match directory {
                Some(dir) if !dir.exists() => format!(
                    "the SQLite file {file} cannot be created: its directory {} does not exist",
                    dir.display()
                ),
                _ if url.contains("mode=rwc") || !std::path::Path::new(&file).exists() => {
                    if url.contains("mode=rwc") {
                        format!("the SQLite file {file} cannot be opened or created (permissions?)")
                    } else {
                        format!(
                            "the SQLite file {file} does not exist; to create it, add \
                             `?mode=rwc` to database_url (sqlite://{file}?mode=rwc)"
                        )
                    }
                }
                _ => format!("the SQLite file {file} cannot be opened (permissions?)"),
            }
        }
        Sqlx::Database(db) => format!(
            "the SQLite file {file} cannot be opened: {} (code {})",
            db.message(),
            db.code().as_deref().unwrap_or("unknown")
        ),
        Sqlx::Io(e) => format!("the SQLite file {file} cannot be opened: {e}"),
        other => format!("the SQLite file {file} cannot be opened: {other}"),
    }
}

fn describe_postgres(url: &str, err: &Sqlx) -> String {
    let Ok(options) = PgConnectOptions::from_str(url) else {
        return format!("database_url {} cannot be read: {err}", redacted(url));
    };
    let host = options.get_host();
    let port = options.get_port();
    let user = options.get_username();
    let database = options.get_database().unwrap_or(user);
    match err {
        Sqlx::Database(db) if db.code().as_deref() == Some(PG_NO_SUCH_DATABASE) => format!(
            "the PostgreSQL database `{database}` does not exist on {host}:{port}; create it \
             with `createdb -h {host} -p {port} -U {user} {database}`"
        ),
        Sqlx::Database(db) if PG_AUTH_FAILED.contains(&db.code().as_deref().unwrap_or("")) => {
            format!(
                "PostgreSQL at {host}:{port} refused user `{user}`: {}; check the user and \
                 password in database_url",
                db.message()
            )
        }
        Sqlx::Database(db) => format!(
            "PostgreSQL at {host}:{port} refused the connection to `{database}`: {} (sqlstate {})",
            db.message(),
            db.code().as_deref().unwrap_or("unknown")
        ),
        Sqlx::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "nothing accepts connections at {host}:{port} (connection refused); is PostgreSQL \
             running there, and is the port in database_url right?"
        ),
        Sqlx::Io(e) => format!("cannot reach PostgreSQL at {host}:{port}: {e}"),
        Sqlx::Tls(e) => format!("TLS with PostgreSQL at {host}:{port} failed: {e}"),
        Sqlx::PoolTimedOut => format!(
            "PostgreSQL at {host}:{port} did not answer in time (is the host right, and does a \
             firewall let the connection through?)"
        ),
        other => format!("cannot connect to PostgreSQL at {host}:{port}: {other}"),
    }
}

/// The URL with any password replaced, for messages.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/pc"),
            "postgres://app:***@db:5432/pc"
        );
        assert_eq!(redacted("postgres://app@db/pc"), "postgres://app@db/pc");
    }
}
