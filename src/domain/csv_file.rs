//! Reading a CSV file a person uploaded (a portal's user list, an HR roster): the bytes as
//! spreadsheets and portals really write them, or an error that names the row and column to
//! fix. A UTF-8 byte-order mark, Windows line endings and quoted line breaks are read as
//! meant; the delimiter is the one the header line uses (a comma, or the semicolon Excel writes
//! in many locales, or a tab); anything else is refused before a single row is used, so an
//! import never half-applies a file.

use std::fmt;

/// The most an uploaded list may weigh: 5,000 users with every column are under 2 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// A file read: its header and its rows, each with the row number a spreadsheet shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    pub delimiter: u8,
    pub header: Vec<String>,
    pub rows: Vec<CsvRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// The row number in a spreadsheet: the header is row 1.
    pub number: usize,
    pub cells: Vec<String>,
}

/// What is wrong with a file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl FileError {
    pub fn file(message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn at(row: usize, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            row: Some(row),
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "row {row}, column `{column}`: ")?,
            (Some(row), None) => write!(f, "row {row}: ")?,
            (None, Some(column)) => write!(f, "column `{column}`: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileError {}

impl CsvFile {
    /// Reads `bytes` as a CSV file with a header line.
    pub fn read(bytes: &[u8]) -> Result<Self, FileError> {
        if bytes.len() > MAX_BYTES {
            return Err(FileError::file(format!(
                "the file is {} bytes; files are limited to {MAX_BYTES} bytes (10 MiB)",
                bytes.len()
            )));
        }
        let text = decode(bytes)?;
        if text.trim().is_empty() {
            return Err(FileError::file("the file is empty"));
        }
        let delimiter = delimiter_of(first_line(text));
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| FileError::at(1, None, format!("the header line cannot be read: {e}")))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        check_header(&header)?;
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let number = index + 2;
            let record = record.map_err(|e| match e.kind() {
                ::csv::ErrorKind::UnequalLengths { len, .. } => FileError::at(
                    number,
                    None,
                    format!(
                        "has {len} cells where the header has {}; a cell holding the delimiter \
                         `{}` must be in double quotes",
                        header.len(),
                        delimiter as char
                    ),
                ),
                _ => FileError::at(number, None, format!("cannot be read: {e}")),
            })?;
            let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
            if cells.iter().all(String::is_empty) {
                continue;
            }
            if let Some((i, _)) = cells
                .iter()
                .enumerate()
                .find(|(_, c)| looks_like_formula(c))
            {
                return Err(FileError::at(
                    number,
                    Some(&header[i]),
                    "holds a spreadsheet formula; export the list as values, not formulas",
                ));
            }
            rows.push(CsvRow { number, cells });
        }
        Ok(Self {
            delimiter,
            header,
            rows,
        })
    }

    /// The first header that is one of `names` (written squashed: see [`squash_header`]).
    pub fn header_among(&self, names: &[&str]) -> Option<String> {
        self.header
            .iter()
            .find(|h| names.contains(&squash_header(h).as_str()))
            .cloned()
    }

    /// The index of the header named `name`, compared without case or surrounding spaces.
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = name.trim();
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(wanted))
    }
}

/// A header as recognition compares it: lower case, without spaces, `_` or `-`.
pub fn squash_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text of the file: UTF-8, with a byte-order mark dropped; UTF-16 and other encodings are
/// refused by name, with the row where the first bad byte is.
fn decode(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::file(
            "the file is UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\" and upload again",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let row = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        FileError::at(
            row,
            None,
            "is not UTF-8 text (the file looks like Windows-1252 or Latin-1); save it as \
             \"CSV UTF-8\" and upload again",
        )
    })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The delimiter the header line uses: the most frequent of comma, semicolon and tab outside
/// double quotes (a comma when none appears: a one-column file).
fn delimiter_of(header: &str) -> u8 {
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

fn check_header(header: &[String]) -> Result<(), FileError> {
    if let Some(i) = header.iter().position(String::is_empty) {
        return Err(FileError::at(
            1,
            None,
            format!("column {} of the header line has no name", i + 1),
        ));
    }
    for (i, name) in header.iter().enumerate() {
        if header[..i].iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return Err(FileError::at(
                1,
                Some(name),
                "appears twice in the header line",
            ));
        }
    }
    Ok(())
}

/// A cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `+cmd…`): never
/// taken into a list we later export. A signed number (`-5`, `+1 555 0100`) is a value.
pub fn looks_like_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '@') => true,
        Some('+' | '-') => !cell[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || " .()-/".contains(c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bom_crlf_and_quoted_newlines() {
        let file = CsvFile::read(
            b"\xEF\xBB\xBFUser ID,Name\r\njdoe,\"Doe,\r\nJane\"\r\n\r\nasmith,Al\r\n",
        )
        .unwrap();
        assert_eq!(file.header, ["User ID", "Name"]);
        assert_eq!(file.rows.len(), 2);
        assert_eq!(file.rows[0].cells, ["jdoe", "Doe,\r\nJane"]);
        assert_eq!(file.rows[1].number, 3, "a blank line is no row");
        assert_eq!(file.column("user id"), Some(0));
    }

    #[test]
    fn detects_semicolons_and_tabs() {
        let file = CsvFile::read(b"User;Roles\njdoe;\"a,b\"\n").unwrap();
        assert_eq!(file.delimiter, b';');
        assert_eq!(file.rows[0].cells, ["jdoe", "a,b"]);
        let file = CsvFile::read(b"User\tRoles\njdoe\ta\n").unwrap();
        assert_eq!(file.delimiter, b'\t');
    }

    #[test]
    fn refuses_what_it_cannot_read_naming_where() {
        let err = CsvFile::read(b"User,Name\njdoe,Jos\xE9\n").unwrap_err();
        assert_eq!(err.row, Some(2));
        assert!(err.message.contains("UTF-8"), "{err}");
        assert!(
            CsvFile::read(b"\xFF\xFEU\0")
                .unwrap_err()
                .message
                .contains("UTF-16")
        );
        let err = CsvFile::read(b"User,Name\njdoe,\"=HYPERLINK(\"\"x\"\")\"\n").unwrap_err();
        assert_eq!((err.row, err.column.as_deref()), (Some(2), Some("Name")));
        let err = CsvFile::read(b"User,Name\njdoe,a,b\n").unwrap_err();
        assert_eq!(err.row, Some(2));
        assert!(err.to_string().starts_with("row 2: has 3 cells"), "{err}");
        let err = CsvFile::read(b"User,user\n").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("user"));
        assert!(CsvFile::read(b"  \r\n").is_err());
        let big = vec![b'a'; MAX_BYTES + 1];
        assert!(CsvFile::read(&big).unwrap_err().message.contains("10 MiB"));
    }

    #[test]
    fn formulas_are_not_signed_numbers() {
        assert!(looks_like_formula("=1+1"));
        assert!(looks_like_formula("@SUM(A1)"));
        assert!(looks_like_formula("+cmd|' /C calc'!A0"));
        assert!(looks_like_formula("-2+3+cmd"));
        assert!(!looks_like_formula("-5"));
        assert!(!looks_like_formula("+1 (555) 010-0100"));
        assert!(!looks_like_formula("-"));
        assert!(!looks_like_formula("Jo-Anne"));
    }
}
