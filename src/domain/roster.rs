//! HR rosters for HR systems without SCIM (payroll exports from ADP, Paychex, BambooHR
//! reports): the columns (mapped once per practice, else recognised), each row read into the
//! SCIM attributes the directory keeps, and the plan a full snapshot makes against the
//! directory: new rows are joiners, changed rows movers, rows marked terminated and rows that
//! disappear are leavers. Pure: the engine reads the directory and writes the plan in one
//! transaction, as an identity provider's writes would be.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::csv_file::{CsvFile, FileError};
use super::directory::ENTERPRISE_URN;

/// Which header holds each field. `user_name` or `email` is required (the person's user name
/// is the first given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterColumns {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_date: Option<String>,
}

/// Header names HR exports use, compared without case, spaces, `_` or `-`.
const KNOWN_HEADERS: &[(&str, &[&str])] = &[
    (
        "employee_id",
        &[
            "employeeid",
            "employeenumber",
            "empid",
            "employee#",
            "fileno",
            "filenumber",
            "associateid",
            "id",
        ],
    ),
    ("user_name", &["username", "login", "userid"]),
    (
        "email",
        &["email", "workemail", "emailaddress", "workemailaddress"],
    ),
    (
        "given_name",
        &["firstname", "givenname", "legalfirstname", "preferredname"],
    ),
    (
        "family_name",
        &["lastname", "familyname", "surname", "legallastname"],
    ),
    (
        "title",
        &["title", "jobtitle", "position", "positiontitle", "job"],
    ),
    (
        "department",
        &[
            "department",
            "dept",
            "homedepartment",
            "departmentdescription",
        ],
    ),
    ("division", &["division", "location", "businessunit"]),
    (
        "cost_center",
        &["costcenter", "costcentre", "costcentercode"],
    ),
    (
        "employment_type",
        &[
            "employmenttype",
            "employeetype",
            "workertype",
            "type",
            "employeestatustype",
        ],
    ),
    (
        "manager",
        &[
            "manager",
            "supervisor",
            "reportsto",
            "managername",
            "manageremail",
        ],
    ),
    (
        "status",
        &[
            "status",
            "employmentstatus",
            "employeestatus",
            "positionstatus",
        ],
    ),
    (
        "termination_date",
        &["terminationdate", "termdate", "enddate", "separationdate"],
    ),
];

impl RosterColumns {
    /// The columns the headers name in the usual words.
    pub fn detect(file: &CsvFile) -> Self {
        let find = |field: &str| {
            let names = KNOWN_HEADERS
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, names)| *names)
                .unwrap_or(&[]);
            file.header_among(names)
        };
        Self {
            employee_id: find("employee_id"),
            user_name: find("user_name"),
            email: find("email"),
            given_name: find("given_name"),
            family_name: find("family_name"),
            title: find("title"),
            department: find("department"),
            division: find("division"),
            cost_center: find("cost_center"),
            employment_type: find("employment_type"),
            manager: find("manager"),
            status: find("status"),
            termination_date: find("termination_date"),
        }
    }

    fn named(&self) -> [(&'static str, Option<&String>); 13] {
        [
            ("employee_id", self.employee_id.as_ref()),
            ("user_name", self.user_name.as_ref()),
            ("email", self.email.as_ref()),
            ("given_name", self.given_name.as_ref()),
            ("family_name", self.family_name.as_ref()),
            ("title", self.title.as_ref()),
            ("department", self.department.as_ref()),
            ("division", self.division.as_ref()),
            ("cost_center", self.cost_center.as_ref()),
            ("employment_type", self.employment_type.as_ref()),
            ("manager", self.manager.as_ref()),
            ("status", self.status.as_ref()),
            ("termination_date", self.termination_date.as_ref()),
        ]
    }
}

/// One person as the roster gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterPerson {
    pub row: usize,
    /// The directory's userName: the roster's user name, else its e-mail.
    pub user_name: String,
    pub employee_id: Option<String>,
    /// Employed: not terminated, and no termination date on or before the day read.
    pub active: bool,
    /// The SCIM attributes the roster owns for this person.
    pub attributes: Map<String, Value>,
}

/// The statuses rosters use: employed or not.
const STATUS_WORDS: &[(&str, bool)] = &[
    ("active", true),
    ("a", true),
    ("employed", true),
    ("leave", true),
    ("on leave", true),
    ("loa", true),
    ("leave of absence", true),
    ("suspended", true),
    ("terminated", false),
    ("t", false),
    ("inactive", false),
    ("separated", false),
    ("retired", false),
    ("deceased", false),
];

/// What a roster's columns are, or why they cannot be used.
pub fn columns_for(
    file: &CsvFile,
    mapped: Option<&RosterColumns>,
) -> Result<RosterColumns, FileError> {
    let columns = mapped
        .cloned()
        .unwrap_or_else(|| RosterColumns::detect(file));
    if columns.user_name.is_none() && columns.email.is_none() {
        return Err(FileError::file(format!(
            "no column holds a user name or an e-mail (looked for headers such as \"Username\", \
             \"Email\" or \"Work Email\"); the file's headers are: {}. Map the columns and upload again",
            file.header.join(", ")
        )));
    }
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

fn parse_day(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d-%b-%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

/// Reads every row of a roster, as of `today` (the practice's date). Refuses, naming the row
/// and column, a row without a user name, a duplicate user name or employee id, a status or
/// date it cannot read, and a roster with no rows.
pub fn read_people(
    file: &CsvFile,
    columns: &RosterColumns,
    today: NaiveDate,
) -> Result<Vec<RosterPerson>, FileError> {
    let at = |h: &Option<String>| h.as_deref().and_then(|h| file.column(h));
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut people = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let cell = |h: &Option<String>| {
            at(h)
                .and_then(|i| row.cells.get(i))
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
        };
        let email = cell(&columns.email).map(str::to_lowercase);
        let user_name = cell(&columns.user_name)
            .map(str::to_owned)
            .or_else(|| email.clone())
            .ok_or_else(|| {
                let column = columns.user_name.as_deref().or(columns.email.as_deref());
                FileError::at(row.number, column, "has no user name or e-mail")
            })?;
        if let Some(first) = names.insert(user_name.to_lowercase(), row.number) {
            return Err(FileError::at(
                row.number,
                columns.user_name.as_deref().or(columns.email.as_deref()),
                format!("`{user_name}` is also on row {first}; each person is listed once"),
            ));
        }
        let employee_id = cell(&columns.employee_id).map(str::to_owned);
        if let Some(id) = &employee_id
            && let Some(first) = ids.insert(id.clone(), row.number)
        {
            return Err(FileError::at(
                row.number,
                columns.employee_id.as_deref(),
                format!("employee id `{id}` is also on row {first}"),
            ));
        }
        let employed = match cell(&columns.status) {
            None => true,
            Some(word) => STATUS_WORDS
                .iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(word))
                .map(|(_, employed)| *employed)
                .ok_or_else(|| {
                    FileError::at(
                        row.number,
                        columns.status.as_deref(),
                        format!(
                            "status `{word}` is not one of: {}",
                            STATUS_WORDS
                                .iter()
                                .map(|(w, _)| *w)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
        };
        let terminated_on = cell(&columns.termination_date)
            .map(|text| {
                parse_day(text).ok_or_else(|| {
                    FileError::at(
                        row.number,
                        columns.termination_date.as_deref(),
                        format!("`{text}` is not a date (write 2026-11-30 or 11/30/2026)"),
                    )
                })
            })
            .transpose()?;
        let active = employed && terminated_on.is_none_or(|day| day > today);
        people.push(RosterPerson {
            row: row.number,
            attributes: attributes_of(
                &|h| cell(h).map(str::to_owned),
                columns,
                email.as_deref(),
                employee_id.as_deref(),
            ),
            user_name,
            employee_id,
            active,
        });
    }
    if people.is_empty() {
        return Err(FileError::file(
            "the roster lists nobody; a roster is the whole workforce, so the file is taken to \
             be cut short and nothing is changed",
        ));
    }
    Ok(people)
}

/// The SCIM attributes a roster row gives (core and enterprise extension).
fn attributes_of(
    cell: &dyn Fn(&Option<String>) -> Option<String>,
    columns: &RosterColumns,
    email: Option<&str>,
    employee_id: Option<&str>,
) -> Map<String, Value> {
    let mut core = Map::new();
    let given = cell(&columns.given_name);
    let family = cell(&columns.family_name);
    let mut name = Map::new();
    if let Some(g) = &given {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(f) = &family {
        name.insert("familyName".into(), json!(f));
    }
    if !name.is_empty() {
        let formatted: Vec<&str> = [given.as_deref(), family.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        core.insert("displayName".into(), json!(formatted.join(" ")));
        core.insert("name".into(), Value::Object(name));
    }
    if let Some(email) = email {
        core.insert(
            "emails".into(),
            json!([{"value": email, "type": "work", "primary": true}]),
        );
    }
    if let Some(title) = cell(&columns.title) {
        core.insert("title".into(), json!(title));
    }
    if let Some(kind) = cell(&columns.employment_type) {
        core.insert("userType".into(), json!(kind));
    }
    let mut enterprise = Map::new();
    if let Some(id) = employee_id {
        enterprise.insert("employeeNumber".into(), json!(id));
    }
    for (key, header) in [
        ("department", &columns.department),
        ("division", &columns.division),
        ("costCenter", &columns.cost_center),
    ] {
        if let Some(value) = cell(header) {
            enterprise.insert(key.into(), json!(value));
        }
    }
    if let Some(manager) = cell(&columns.manager) {
        enterprise.insert("manager".into(), json!({"displayName": manager}));
    }
    if !enterprise.is_empty() {
        core.insert(ENTERPRISE_URN.into(), Value::Object(enterprise));
    }
    core
}

/// The attributes a roster owns: replaced on every import (a cleared cell clears it); the
/// others (set by hand or earlier) are kept.
const OWNED: &[&str] = &[
    "displayName",
    "name",
    "emails",
    "title",
    "userType",
    ENTERPRISE_URN,
];

/// The person's attributes with the roster's laid over them.
pub fn merged(current: &Map<String, Value>, roster: &Map<String, Value>) -> Map<String, Value> {
    let mut out = current.clone();
    for key in OWNED {
        match roster.get(*key) {
            Some(value) => {
                out.insert((*key).to_owned(), value.clone());
            }
            None => {
                out.remove(*key);
            }
        }
    }
    out
}

/// A person in the directory, as a roster compares them.
#[derive(Debug, Clone)]
pub struct DirectoryPerson {
    pub id: Uuid,
    pub user_name: String,
    pub active: bool,
    pub deleted: bool,
    pub attributes: Map<String, Value>,
}

/// What a roster changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RosterPlan {
    /// Rows for people the directory does not have (active ones are joiners).
    pub joiners: Vec<RosterLine>,
    /// Rows whose attributes or status differ from the directory's.
    pub movers: Vec<RosterLine>,
    /// People marked terminated (or past their termination date) who were active.
    pub leavers: Vec<RosterLine>,
    /// Active people the roster no longer lists: leavers too.
    pub missing: Vec<RosterLine>,
    /// Rows already as the directory has them.
    pub unchanged: usize,
    /// Active people in the directory before the import (the shrink guard's denominator).
    pub active_before: usize,
}

/// One change a roster makes, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RosterLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub user_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Uuid>,
    /// What changes, in words (`title: Front Desk → Billing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

impl RosterPlan {
    /// Whether the people who disappear from the roster are more than `share` of the
    /// active people: the commit must then confirm the number.
    pub fn needs_confirmation(&self, share: f64) -> bool {
        !self.missing.is_empty()
            && (self.missing.len() as f64) > share * (self.active_before as f64)
    }
}

fn describe(key: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let text = |v: Option<&Value>| match v {
        None => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    format!("{key}: {} → {}", text(before), text(after))
}

fn differences(current: &Map<String, Value>, next: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<&String> = current.keys().chain(next.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (a, b) = (current.get(key), next.get(key));
        if a == b {
            continue;
        }
        match (a, b) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                for change in differences(a, b) {
                    out.push(change);
                }
            }
            _ => out.push(describe(key, a, b)),
        }
    }
    out
}

/// Who a joiner is, in a few words: name, title, department.
fn summary(attributes: &Map<String, Value>) -> Vec<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let enterprise = attributes.get(ENTERPRISE_URN);
    [
        text(attributes.get("displayName")),
        text(attributes.get("title")).map(|t| format!("title: {t}")),
        text(enterprise.and_then(|e| e.get("department"))).map(|d| format!("department: {d}")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What the roster changes in the directory.
pub fn plan(roster: &[RosterPerson], directory: &[DirectoryPerson]) -> RosterPlan {
    let by_name: BTreeMap<String, &DirectoryPerson> = directory
        .iter()
        .filter(|p| !p.deleted)
        .map(|p| (p.user_name.to_lowercase(), p))
        .collect();
    let mut out = RosterPlan {
        active_before: directory.iter().filter(|p| p.active && !p.deleted).count(),
        ..RosterPlan::default()
    };
    let mut listed = std::collections::HashSet::new();
    for person in roster {
        let key = person.user_name.to_lowercase();
        listed.insert(key.clone());
        let line = |id: Option<Uuid>, changes: Vec<String>| RosterLine {
            row: Some(person.row),
            user_name: person.user_name.clone(),
            person: id,
            changes,
        };
        match by_name.get(&key) {
            None if person.active => out.joiners.push(line(None, summary(&person.attributes))),
            // A terminated person we never had: nothing to do.
            None => out.unchanged += 1,
            Some(current) => {
                let next = merged(&current.attributes, &person.attributes);
                let mut changes = differences(&current.attributes, &next);
                if current.active && !person.active {
                    changes.push("active: true → false".to_owned());
                    out.leavers.push(line(Some(current.id), changes));
                } else if !current.active && person.active {
                    changes.push("active: false → true".to_owned());
                    out.movers.push(line(Some(current.id), changes));
                } else if changes.is_empty() {
                    out.unchanged += 1;
                } else {
                    out.movers.push(line(Some(current.id), changes));
                }
            }
        }
    }
    for person in directory {
        if person.active && !person.deleted && !listed.contains(&person.user_name.to_lowercase()) {
            out.missing.push(RosterLine {
                row: None,
                user_name: person.user_name.clone(),
                person: Some(person.id),
                changes: vec!["no longer on the roster: active: true → false".to_owned()],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn read(text: &str) -> Result<Vec<RosterPerson>, FileError> {
        let file = CsvFile::read(text.as_bytes()).unwrap();
        let columns = columns_for(&file, None)?;
        read_people(&file, &columns, today())
    }

    #[test]
    fn reads_an_export_into_scim_attributes() {
        let people = read(
            "Employee ID,First Name,Last Name,Work Email,Job Title,Department,Status,Termination Date\n\
             E1,Ann,Lee,Ann.Lee@acme.example,Front Desk,Front Office,Active,\n\
             E2,Bo,Chen,bo@acme.example,Biller,Billing,Terminated,11/30/2026\n\
             E3,Cy,Diaz,cy@acme.example,Nurse,Clinical,Active,2027-01-15\n",
        )
        .unwrap();
        assert_eq!(people[0].user_name, "ann.lee@acme.example");
        assert_eq!(people[0].attributes["displayName"], "Ann Lee");
        assert_eq!(
            people[0].attributes[ENTERPRISE_URN]["department"],
            "Front Office"
        );
        assert_eq!(people[0].attributes[ENTERPRISE_URN]["employeeNumber"], "E1");
        assert!(people[0].active && !people[1].active);
        assert!(people[2].active, "a termination date still to come");
    }

    #[test]
    fn refuses_by_row_and_column() {
        let err = read("Email,Status\na@x.example,Active\nA@X.example,Active\n").unwrap_err();
        assert_eq!((err.row, err.column.as_deref()), (Some(3), Some("Email")));
        let err = read("Email,Status\na@x.example,Fired\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Status"));
        let err = read("Email,Term Date\na@x.example,soon\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Term Date"));
        assert!(
            read("Name,Title\nAnn,Nurse\n")
                .unwrap_err()
                .message
                .contains("user name")
        );
        assert!(
            read("Email,Title\n")
                .unwrap_err()
                .message
                .contains("lists nobody")
        );
        let err = read("Employee ID,Email\n1,a@x.example\n1,b@x.example\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("Employee ID"));
    }

    #[test]
    fn a_snapshot_plans_joiners_movers_and_leavers() {
        let people = read(
            "Email,Job Title,Status\nann@x.example,Billing,Active\nbo@x.example,Nurse,Terminated\nnew@x.example,Nurse,Active\n",
        )
        .unwrap();
        let dir = |n: u128, name: &str, title: &str, active: bool| DirectoryPerson {
            id: Uuid::from_u128(n),
            user_name: name.to_owned(),
            active,
            deleted: false,
            attributes: merged(
                &Map::new(),
                &[
                    ("title".to_owned(), json!(title)),
                    (
                        "emails".to_owned(),
                        json!([{"value": name, "type": "work", "primary": true}]),
                    ),
                ]
                .into_iter()
                .collect(),
            ),
        };
        let directory = [
            dir(1, "ann@x.example", "Front Desk", true),
            dir(2, "bo@x.example", "Nurse", true),
            dir(3, "gone@x.example", "Cook", true),
        ];
        let plan = plan(&people, &directory);
        assert_eq!(plan.joiners[0].user_name, "new@x.example");
        assert_eq!(plan.movers[0].changes, ["title: Front Desk → Billing"]);
        assert_eq!(plan.leavers[0].user_name, "bo@x.example");
        assert_eq!(plan.missing[0].user_name, "gone@x.example");
        assert!(plan.needs_confirmation(0.2), "1 of 3 disappears");
        // The same roster over a directory already like it changes nothing.
        let same = [DirectoryPerson {
            attributes: merged(&directory[0].attributes, &people[0].attributes),
            ..directory[0].clone()
        }];
        let again = super::plan(&people[..1], &same);
        assert_eq!((again.unchanged, again.movers.len()), (1, 0));
    }
}
