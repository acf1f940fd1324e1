//! A portal's user list as an administrator downloads or receives it: which column holds what
//! (mapped once per practice portal; the catalogue knows some portals' columns; otherwise the
//! usual header names are recognised), and each row read into a [`ListedAccount`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::catalog::Portal;
use crate::domain::csv_file::{CsvFile, FileError, squash_header as squash};

/// Which header holds each field. Only `username` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListColumns {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npi: Option<String>,
    /// Roles or functions, several in one cell separated by `;`, `|` or `,`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
}

/// Header names portals and spreadsheets use for each field, compared without case, spaces,
/// `_` or `-`.
const KNOWN_HEADERS: &[(&str, &[&str])] = &[
    (
        "username",
        &[
            "username",
            "userid",
            "login",
            "loginid",
            "user",
            "onehealthcareid",
        ],
    ),
    (
        "name",
        &[
            "name",
            "fullname",
            "username(full)",
            "displayname",
            "user's name",
        ],
    ),
    ("email", &["email", "emailaddress", "mail"]),
    ("npi", &["npi", "npinumber", "individualnpi"]),
    (
        "roles",
        &[
            "roles",
            "role",
            "functions",
            "function",
            "permissions",
            "accessgroups",
            "approvedfunctions",
        ],
    ),
    (
        "status",
        &["status", "userstatus", "accountstatus", "state"],
    ),
    (
        "last_login",
        &[
            "lastlogin",
            "lastlogindate",
            "lastlogon",
            "lastsignin",
            "lastaccess",
            "lastlogintime",
        ],
    ),
];

impl ListColumns {
    /// The columns a file's header names in the usual words, if a username column is among them.
    pub fn detect(file: &CsvFile) -> Option<Self> {
        let find = |field: &str| {
            let names = KNOWN_HEADERS
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, names)| *names)
                .unwrap_or(&[]);
            file.header_among(names)
        };
        Some(Self {
            username: find("username")?,
            name: find("name"),
            email: find("email"),
            npi: find("npi"),
            roles: find("roles"),
            status: find("status"),
            last_login: find("last_login"),
        })
    }

    fn named(&self) -> [(&'static str, Option<&String>); 7] {
        [
            ("username", Some(&self.username)),
            ("name", self.name.as_ref()),
            ("email", self.email.as_ref()),
            ("npi", self.npi.as_ref()),
            ("roles", self.roles.as_ref()),
            ("status", self.status.as_ref()),
            ("last_login", self.last_login.as_ref()),
        ]
    }
}

/// One row of a portal's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedAccount {
    /// The row number in a spreadsheet (the header is row 1).
    pub row: usize,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npi: Option<String>,
    /// The portal's role slugs for the roles the row names; `None` when the list has no roles
    /// column (nothing is known about roles, so no drift is found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<BTreeSet<String>>,
    /// Role names the row gives that the portal's catalogue entry does not know.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_roles: Vec<String>,
    /// Whether the account can sign in (false: disabled, deactivated, terminated, deleted).
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<DateTime<Utc>>,
}

/// Status words and whether they mean the account can be used. A locked or pending account
/// still exists and can be unlocked or finished: it still holds access.
const STATUS_WORDS: &[(&str, bool)] = &[
    ("active", true),
    ("enabled", true),
    ("approved", true),
    ("pending", true),
    ("locked", true),
    ("suspended", true),
    ("expired password", true),
    ("inactive", false),
    ("disabled", false),
    ("deactivated", false),
    ("terminated", false),
    ("deleted", false),
    ("removed", false),
    ("revoked", false),
];

/// What the file's columns are, or why they cannot be used.
pub fn columns_for(file: &CsvFile, mapped: Option<&ListColumns>) -> Result<ListColumns, FileError> {
    let columns = match mapped {
        Some(columns) => columns.clone(),
        None => ListColumns::detect(file).ok_or_else(|| {
            FileError::file(format!(
                "no column holds the username (looked for a header such as \"Username\", \
                 \"User ID\" or \"Login\"); the file's headers are: {}. Map the columns and \
                 upload again",
                file.header.join(", ")
            ))
        })?,
    };
    for (field, header) in columns.named() {
        if let Some(header) = header
            && file.column(header).is_none()
        {
            return Err(FileError {
                row: Some(1),
                column: Some(header.clone()),
                message: format!(
                    "the {field} column is missing from the header line (its headers: {})",
                    file.header.join(", ")
                ),
            });
        }
    }
    Ok(columns)
}

/// Reads every row of a portal's list. Refuses (naming the row and column) an empty
/// username, a duplicate username, a status or last login it cannot read, and a list with no
/// rows: an empty list is never taken to mean the portal has no users.
pub fn read_accounts(
    file: &CsvFile,
    columns: &ListColumns,
    portal: &Portal,
) -> Result<Vec<ListedAccount>, FileError> {
    let index = |header: &Option<String>| header.as_deref().and_then(|h| file.column(h));
    let username_at = file.column(&columns.username).unwrap_or(0);
    let (name_at, email_at, npi_at) = (
        index(&columns.name),
        index(&columns.email),
        index(&columns.npi),
    );
    let (roles_at, status_at, login_at) = (
        index(&columns.roles),
        index(&columns.status),
        index(&columns.last_login),
    );
    let role_names: BTreeMap<String, &str> = portal
        .roles
        .iter()
        .flat_map(|r| {
            [
                (squash(&r.name), r.slug.as_str()),
                (squash(&r.slug), r.slug.as_str()),
            ]
        })
        .collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut accounts = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let cell = |at: Option<usize>| {
            at.and_then(|i| row.cells.get(i))
                .map(String::as_str)
                .filter(|c| !c.is_empty())
        };
        let username = cell(Some(username_at)).ok_or_else(|| {
            FileError::at(row.number, Some(&columns.username), "the username is empty")
        })?;
        if let Some(first) = seen.insert(username.to_lowercase(), row.number) {
            return Err(FileError::at(
                row.number,
                Some(&columns.username),
                format!(
                    "username `{username}` is also on row {first}; each account is listed once"
                ),
            ));
        }
        let enabled = match cell(status_at) {
            None => true,
            Some(word) => status_enabled(word).ok_or_else(|| {
                let known: Vec<&str> = STATUS_WORDS.iter().map(|(w, _)| *w).collect();
                FileError::at(
                    row.number,
                    columns.status.as_deref(),
                    format!("status `{word}` is not one of: {}", known.join(", ")),
                )
            })?,
        };
        let last_login = cell(login_at)
            .map(|text| {
                parse_login(text).ok_or_else(|| {
                    FileError::at(
                        row.number,
                        columns.last_login.as_deref(),
                        format!(
                            "`{text}` is not a date (write 2026-11-30, 11/30/2026 or \
                             2026-11-30T14:05:00Z; \"Never\" for no login)"
                        ),
                    )
                })
            })
            .transpose()?
            .flatten();
        let (roles, unknown_roles) = match roles_at {
            None => (None, Vec::new()),
            Some(_) => {
                let mut known = BTreeSet::new();
                let mut unknown = Vec::new();
                for name in cell(roles_at)
                    .unwrap_or("")
                    .split([';', '|', ','])
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                {
                    match role_names.get(&squash(name)) {
                        Some(slug) => {
                            known.insert((*slug).to_owned());
                        }
                        None => unknown.push(name.to_owned()),
                    }
                }
                (Some(known), unknown)
            }
        };
        accounts.push(ListedAccount {
            row: row.number,
            username: username.to_owned(),
            name: cell(name_at).map(str::to_owned),
            email: cell(email_at).map(str::to_lowercase),
            npi: cell(npi_at).map(str::to_owned),
            roles,
            unknown_roles,
            enabled,
            last_login,
        });
    }
    if accounts.is_empty() {
        return Err(FileError::file(
            "the list holds no accounts; a portal always has at least its administrator, so \
             the file is taken to be cut short and nothing is changed",
        ));
    }
    Ok(accounts)
}

fn status_enabled(word: &str) -> Option<bool> {
    let word = word.trim().to_lowercase();
    STATUS_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, enabled)| *enabled)
}

/// A last login as portals print it; `Some(None)` for "never".
fn parse_login(text: &str) -> Option<Option<DateTime<Utc>>> {
    let text = text.trim();
    if ["never", "n/a", "none", "-"].contains(&text.to_lowercase().as_str()) {
        return Some(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(Some(at.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %I:%M:%S %p",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Some(at.and_utc()));
        }
    }
    for format in ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"] {
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return Some(day.and_hms_opt(0, 0, 0).map(|at| at.and_utc()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Catalog;

    fn noridian() -> Portal {
        Catalog::builtin()
            .unwrap()
            .portal("noridian-nmp")
            .unwrap()
            .clone()
    }

    #[test]
    fn detects_columns_and_reads_rows() {
        let file = CsvFile::read(
            b"User ID,Full Name,E-mail,Approved Functions,Status,Last Login\n\
              jdoe,Jane Doe,JDoe@Acme.example,Eligibility; Claim Status; Telepathy,Active,11/30/2026 2:05 PM\n\
              old,Old One,,,Disabled,Never\n",
        )
        .unwrap();
        let columns = columns_for(&file, None).unwrap();
        assert_eq!(columns.username, "User ID");
        assert_eq!(columns.roles.as_deref(), Some("Approved Functions"));
        let rows = read_accounts(&file, &columns, &noridian()).unwrap();
        assert_eq!(rows[0].email.as_deref(), Some("jdoe@acme.example"));
        assert_eq!(
            rows[0].roles,
            Some(BTreeSet::from([
                "claim-status".into(),
                "eligibility".into()
            ]))
        );
        assert_eq!(rows[0].unknown_roles, ["Telepathy"]);
        assert_eq!(
            rows[0].last_login.unwrap().to_rfc3339(),
            "2026-11-30T14:05:00+00:00"
        );
        assert!(!rows[1].enabled);
        assert_eq!(rows[1].last_login, None);
        assert_eq!(rows[1].roles, Some(BTreeSet::new()));
    }

    #[test]
    fn refuses_rows_naming_row_and_column() {
        let portal = noridian();
        let read = |text: &[u8]| {
            let file = CsvFile::read(text).unwrap();
            let columns = columns_for(&file, None)?;
            read_accounts(&file, &columns, &portal)
        };
        let err = read(b"Username,Status\njdoe,Active\nJDOE,Active\n").unwrap_err();
        assert_eq!(
            (err.row, err.column.as_deref()),
            (Some(3), Some("Username"))
        );
        let err = read(b"Username,Status\njdoe,Sleeping\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Status"));
        let err = read(b"Username,Last Login\njdoe,yesterday\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Last Login"));
        let err = read(b"Username,Name\n,Jane\n").unwrap_err();
        assert_eq!(err.row, Some(2));
        assert!(
            read(b"Username,Name\n")
                .unwrap_err()
                .message
                .contains("no accounts")
        );
        let err = read(b"Person,Name\nx,y\n").unwrap_err();
        assert!(err.message.contains("Person, Name"), "{err}");
        let file = CsvFile::read(b"Login,Name\nx,y\n").unwrap();
        let mapped = ListColumns {
            username: "Login".into(),
            email: Some("Mail".into()),
            ..ListColumns::default()
        };
        let err = columns_for(&file, Some(&mapped)).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Mail"));
    }
}
