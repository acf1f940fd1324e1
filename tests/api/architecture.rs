//! The house's layers, checked by reading the sources (as kanidm checks its routes): imports
//! only go down, and the words of the task vocabulary are spelled only in the domain.
//!
//! ```text
//! startup, cli, routes, openapi   assemble the app                → anything below
//! scim, api, console (siblings)   handlers and pages             → state, auth, http, engine, store, domain
//! state                           AppState and the Caller         → auth, http, store, webhook, domain
//! auth                            the request guard               → http, store, domain, config
//! http                            the HTTP edge                   → store, domain
//! jobs                            background loops                → engine, store, domain, webhook
//! engine                          one module per use case         → store, domain, webhook
//! store                           sea-orm rows                    → domain, entities
//! webhook                         the outbound client             → domain
//! domain                          pure rules                      → nothing of ours
//! ```

use std::path::{Path, PathBuf};

/// A layer, the crate modules it may name (`only_modules`) or must not name, and the outside
/// crates it must not use.
struct Rule {
    layer: &'static str,
    only_modules: Option<&'static [&'static str]>,
    forbidden_modules: &'static [&'static str],
    forbidden_crates: &'static [&'static str],
}

const WIRE: [&str; 10] = [
    "scim", "api", "console", "cli", "startup", "state", "auth", "http", "openapi", "routes",
];

const RULES: &[Rule] = &[
    Rule {
        layer: "config",
        only_modules: Some(&["config", "domain"]),
        forbidden_modules: &[],
        forbidden_crates: &["actix_web", "sea_orm", "entities"],
    },
    Rule {
        layer: "scim",
        only_modules: None,
        forbidden_modules: &[
            "api", "console", "jobs", "cli", "startup", "routes", "openapi",
        ],
        forbidden_crates: &[],
    },
    Rule {
        layer: "api",
        only_modules: None,
        forbidden_modules: &[
            "scim", "console", "jobs", "cli", "startup", "routes", "openapi",
        ],
        forbidden_crates: &[],
    },
    Rule {
        layer: "console",
        only_modules: None,
        forbidden_modules: &["scim", "api", "jobs", "cli", "startup", "routes", "openapi"],
        forbidden_crates: &[],
    },
    Rule {
        layer: "state",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "jobs", "cli", "startup", "routes", "openapi",
        ],
        forbidden_crates: &[],
    },
    Rule {
        layer: "auth",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "state", "engine", "jobs", "cli", "startup", "routes",
            "openapi",
        ],
        forbidden_crates: &[],
    },
    Rule {
        layer: "http",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "state", "auth", "engine", "jobs", "cli", "startup",
            "routes", "openapi",
        ],
        forbidden_crates: &[],
    },
    Rule {
        layer: "domain",
        only_modules: Some(&["domain"]),
        forbidden_modules: &[],
        forbidden_crates: &[
            "actix_web",
            "sea_orm",
            "entities",
            "migration",
            "reqwest",
            "tokio",
        ],
    },
    Rule {
        layer: "store",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "cli", "startup", "state", "auth", "http", "openapi",
            "engine", "jobs", "webhook",
        ],
        forbidden_crates: &["actix_web", "reqwest"],
    },
    Rule {
        layer: "engine",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "cli", "startup", "state", "auth", "http", "openapi",
            "routes", "jobs",
        ],
        forbidden_crates: &["actix_web", "sea_orm", "entities"],
    },
    Rule {
        layer: "jobs",
        only_modules: None,
        forbidden_modules: &WIRE,
        forbidden_crates: &["actix_web", "sea_orm", "entities"],
    },
    Rule {
        layer: "webhook",
        only_modules: None,
        forbidden_modules: &[
            "scim", "api", "console", "cli", "startup", "state", "auth", "http", "openapi",
            "engine", "store", "jobs",
        ],
        forbidden_crates: &["actix_web", "sea_orm", "entities"],
    },
];

/// The spellings of task states, kinds, lifecycle events, outcomes and delivery states: only
/// `src/domain` writes them.
const VOCABULARY: &[&str] = &[
    "open",
    "claimed",
    "done",
    "verified",
    "failed",
    "cancelled",
    "provision",
    "modify",
    "deprovision",
    "transfer_admin",
    "notify_third_party",
    "joiner",
    "mover",
    "leaver",
    "rehire",
    "account_record",
    "completed",
    "delivered",
    "dead",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The file's code lines without comments and without unit tests, a `use` that spans lines
/// joined into one (numbered by its first line). An inline `#[cfg(test)] mod tests { … }` ends
/// what is read (tests close a file, by convention); a `#[cfg(test)] mod tests;` line is
/// passed over (its file is a test file).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut open_use = false;
    let mut numbered = text.lines().enumerate().peekable();
    while let Some((i, line)) = numbered.next() {
        if line.trim() == "#[cfg(test)]"
            && let Some((_, next)) = numbered.peek()
            && (next.trim().starts_with("mod ") || next.trim().starts_with("pub mod "))
        {
            if next.trim_end().ends_with('{') {
                break;
            }
            numbered.next();
            continue;
        }
        let code = without_comment(line);
        if code.trim().is_empty() {
            continue;
        }
        if open_use {
            if let Some((_, joined)) = lines.last_mut() {
                joined.push(' ');
                joined.push_str(code.trim());
            }
        } else {
            lines.push((i + 1, code.to_owned()));
        }
        let trimmed = code.trim_start();
        let starts_use = trimmed.starts_with("use ") || trimmed.contains(" use ");
        open_use = (open_use || starts_use) && !code.contains(';');
    }
    lines
}

/// A line up to its `//` comment (a `//` inside `https://` is not one).
fn without_comment(line: &str) -> &str {
    let mut from = 0;
    while let Some(at) = line[from..].find("//") {
        let at = from + at;
        if !line[..at].ends_with(':') {
            return &line[..at];
        }
        from = at + 2;
    }
    line
}

/// Unit-test files (`tests.rs`, `*_tests.rs`, and files under a `*_tests/` folder) hold no
/// layer's code.
fn is_test_file(path: &Path) -> bool {
    path.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name == "tests.rs" || name.ends_with("_tests.rs") || name.ends_with("_tests")
    })
}

/// Every `crate::<module>` a line names, in a `use` (grouped ones too: `crate::{a, b::c}`)
/// or an inline path.
fn named_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        let before = line[..at].chars().next_back();
        // `crate::` alone, not the tail of `my_crate::` or `$crate::`.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &line[at + "crate::".len()..];
        let heads: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => {
                // The top-level items of the group: `a`, `b::c`, `d::{e, f}` → a, b, d.
                let mut items = Vec::new();
                let (mut depth, mut start) = (0, 0);
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            items.push(&group[start..i]);
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            items.push(&group[start..i]);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                items
            }
            None => vec![rest],
        };
        for head in heads {
            let name: String = head
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != "self" {
                found.push(format!("crate::{name}"));
            }
        }
    }
    found
}

fn names_crate(line: &str, krate: &str) -> bool {
    let pattern = format!("{krate}::");
    line.match_indices(&pattern).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// What a layer's files import against the rules, as `file:line: what`.
fn violations(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for rule in RULES {
        let dir = root.join(rule.layer);
        let files = if dir.is_dir() {
            rust_files(&dir)
        } else {
            vec![root.join(format!("{}.rs", rule.layer))]
        };
        for file in files.iter().filter(|f| f.exists() && !is_test_file(f)) {
            let text = std::fs::read_to_string(file).unwrap();
            let shown = file
                .strip_prefix(root)
                .unwrap_or(file)
                .display()
                .to_string();
            for (number, line) in code_lines(&text) {
                let line = line.as_str();
                for module in named_modules(line) {
                    let name = module.trim_start_matches("crate::");
                    let allowed = match rule.only_modules {
                        Some(only) => only.contains(&name),
                        None => !rule.forbidden_modules.contains(&name),
                    };
                    if !allowed {
                        found.push(format!(
                            "src/{shown}:{number}: {} imports {module}",
                            rule.layer
                        ));
                    }
                }
                for krate in rule.forbidden_crates {
                    if names_crate(line, krate) {
                        found.push(format!("src/{shown}:{number}: {} uses {krate}", rule.layer));
                    }
                }
            }
        }
    }
    found
}

/// Quoted task states, kinds or events outside the domain (JSON keys such as `"open":` and
/// `d["open"]` are names of fields, not the vocabulary's words, and pass).
fn vocabulary_literals(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(root).into_iter().filter(|f| !is_test_file(f)) {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        if shown.starts_with("domain") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_lines(&text) {
            let line = line.as_str();
            for word in VOCABULARY {
                let quoted = format!("\"{word}\"");
                for (at, _) in line.match_indices(&quoted) {
                    let after = line[at + quoted.len()..].trim_start();
                    let before = line[..at].trim_end();
                    if after.starts_with(':') || before.ends_with('[') {
                        continue;
                    }
                    found.push(format!("src/{shown}:{number}: {quoted}"));
                }
            }
        }
    }
    found
}

#[test]
fn imports_only_go_down() {
    let found = violations(&src());
    assert!(
        found.is_empty(),
        "imports that run back up (see ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn task_vocabulary_is_spelled_only_in_the_domain() {
    let found = vocabulary_literals(&src());
    assert!(
        found.is_empty(),
        "use domain::task's enums instead of these literals:\n{}",
        found.join("\n")
    );
}

/// The scan itself: a deliberately upward import in a copy of the tree is caught.
#[test]
fn an_upward_import_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    for (layer, line) in [
        ("domain", "use crate::store::Store;"),
        ("domain", "use sea_orm::EntityTrait;"),
        ("store", "use crate::engine::react;"),
        (
            "store",
            "    let x = crate::http::errors::WireError::unavailable();",
        ),
        ("engine", "use crate::api::Problem;"),
        ("jobs", "use crate::state::AppState;"),
        ("engine", "use crate::{domain::task,\n    api::Problem};"),
        (
            "store",
            "const URL: &str = \"https://x\"; use crate::jobs::Jobs;",
        ),
        // A test module declared early does not hide what follows it.
        ("engine", "#[cfg(test)]\nmod tests;\nuse crate::scim::wire;"),
    ] {
        let room = dir.path().join(layer);
        std::fs::create_dir_all(&room).unwrap();
        let file = room.join("bad.rs");
        let before = std::fs::read_to_string(&file).unwrap_or_default();
        std::fs::write(&file, format!("{before}{line}\n")).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("api")).unwrap();
    std::fs::write(
        dir.path().join("api").join("ok.rs"),
        "use crate::store::Store;\nuse crate::engine::tasks;\nlet s = \"open\";\n",
    )
    .unwrap();
    let found = violations(dir.path());
    assert_eq!(found.len(), 9, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.contains("engine/bad.rs:2: engine imports crate::api"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("store imports crate::jobs"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("engine/bad.rs:6: engine imports crate::scim"))
    );
    assert!(found[0].contains("src/domain/bad.rs:1: domain imports crate::store"));
    assert!(
        found
            .iter()
            .any(|f| f.contains("store imports crate::http"))
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("jobs imports crate::state"))
    );
    let literals = vocabulary_literals(dir.path());
    assert_eq!(literals, ["src/api/ok.rs:3: \"open\""]);
}

/// The admin API takes bodies and query strings through `http::json` and `http::query`, whose
/// errors name the field; actix's own extractors answer "the request could not be parsed".
#[test]
fn admin_api_bodies_and_queries_name_the_field() {
    let mut found = Vec::new();
    for file in rust_files(&src().join("api")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_lines(&text) {
            if line.contains("web::Json") || line.contains("web::Query") {
                found.push(format!("{}:{number}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "use crate::http::json::Json / crate::http::query::Query:\n{}",
        found.join("\n")
    );
}

/// Every statement reaches the database through `store::db::Db`, which gives each one a
/// transaction behind a transaction-mode pooler; the driver's pool itself (`Db::pool`) serves
/// only `store/mod.rs`'s checks that prepare nothing (ping, SQLite's migrations, the shared-
/// session probe).
#[test]
fn statements_reach_the_pool_only_through_db() {
    let mut found = Vec::new();
    for file in rust_files(&src()).into_iter().filter(|f| !is_test_file(f)) {
        let shown = file.strip_prefix(src()).unwrap().display().to_string();
        if shown == "store/mod.rs" || shown == "store/db.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in code_lines(&text) {
            for needle in [
                ".pool()",
                "Database::connect",
                "get_postgres_connection_pool",
            ] {
                if line.contains(needle) {
                    found.push(format!("src/{shown}:{number}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "go through the store's `Db` (src/store/db.rs):\n{}",
        found.join("\n")
    );
}
