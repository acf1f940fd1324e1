//! Helpers several command groups share.

use crate::clock::{Clock, SystemClock};
use crate::domain::practice::PracticeSlug;
use crate::store::{Practice, Store};

use super::CliError;

/// A usage error: the message is printed as given.
pub(super) fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}

/// The practice a `--practice` slug names.
pub(super) async fn practice_by_slug(store: &Store, practice: &str) -> Result<Practice, CliError> {
    let slug = PracticeSlug::parse(practice).map_err(usage)?;
    Ok(store.practice_by_slug(&slug).await?)
}

/// A JSON document from a file; errors name the file.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    file: &std::path::Path,
) -> Result<T, CliError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
    serde_json::from_str(&text).map_err(|e| usage(format!("{}: {e}", file.display())))
}

/// Changes made from the command line are audited as `cli`.
pub(super) fn cli_actor() -> crate::domain::actor::Actor {
    crate::domain::actor::Actor::cli(SystemClock.now())
}

pub(super) fn print_json(value: &impl serde::Serialize) {
    say!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Writes one line of output. A reader that went away (`portcullis openapi | head -3`) ends
/// the command quietly, as it does for any Unix tool, rather than with a panic.
pub(crate) fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// Rows printed as columns as wide as their widest cell, headings in capitals; the last
/// column is not padded.
#[derive(Debug)]
pub(super) struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(super) fn new(headings: &[&str]) -> Self {
        Self {
            rows: vec![headings.iter().map(|h| h.to_uppercase()).collect()],
        }
    }

    pub(super) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub(super) fn lines(&self) -> Vec<String> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        self.rows
            .iter()
            .map(|row| {
                let mut line = String::new();
                for (c, cell) in row.iter().enumerate() {
                    if c + 1 == row.len() {
                        line.push_str(cell);
                    } else {
                        let pad = widths[c] - cell.chars().count();
                        line.push_str(cell);
                        line.extend(std::iter::repeat_n(' ', pad + 2));
                    }
                }
                line
            })
            .collect()
    }

    pub(super) fn print(&self) {
        for line in self.lines() {
            say!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut table = Table::new(&["slug", "name", "time zone"]);
        table.row(vec![
            "a".into(),
            "Ärzte Zentrum Süd, a long name".into(),
            "Europe/Berlin".into(),
        ]);
        table.row(vec!["bigger-slug".into(), "B".into(), "UTC".into()]);
        assert_eq!(
            table.lines(),
            [
                "SLUG         NAME                            TIME ZONE",
                "a            Ärzte Zentrum Süd, a long name  Europe/Berlin",
                "bigger-slug  B                               UTC",
            ]
        );
    }
}
