//! The filter lexer: parentheses and brackets, `.sub` after `]`, JSON strings, and words
//! (attribute paths, operators, keywords and unquoted values).

use super::{SyntaxError, error};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Open(char),
    Close(char),
    /// `.name` right after `]`.
    SubAttr(String),
    Str(String),
    Word(String),
}

pub(super) fn describe(token: &Token) -> String {
    match token {
        Token::Open(c) | Token::Close(c) => format!("`{c}`"),
        Token::SubAttr(s) => format!("`.{s}`"),
        Token::Str(_) => "a string".to_owned(),
        Token::Word(w) => format!("`{w}`"),
    }
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, SyntaxError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' | b'[' => {
                tokens.push(Token::Open(c as char));
                i += 1;
            }
            b')' | b']' => {
                tokens.push(Token::Close(c as char));
                i += 1;
                if c == b']' && bytes.get(i) == Some(&b'.') {
                    let start = i + 1;
                    let end = word_end(bytes, start);
                    if end == start {
                        return error("expected a sub-attribute name after `].`");
                    }
                    tokens.push(Token::SubAttr(text[start..end].to_owned()));
                    i = end;
                }
            }
            b'"' => {
                let end = string_end(bytes, i)?;
                let decoded: String = serde_json::from_str(&text[i..=end])
                    .map_err(|_| SyntaxError("invalid escape in a string".into()))?;
                tokens.push(Token::Str(decoded));
                i = end + 1;
            }
            _ => {
                let end = word_end(bytes, i);
                tokens.push(Token::Word(text[i..end].to_owned()));
                i = end;
            }
        }
    }
    Ok(tokens)
}

/// Index of the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i),
            _ => i += 1,
        }
    }
    error("a string is not closed")
}

fn word_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len()
        && !matches!(
            bytes[i],
            b' ' | b'\t' | b'\r' | b'\n' | b'(' | b')' | b'[' | b']' | b'"'
        )
    {
        i += 1;
    }
    i
}
