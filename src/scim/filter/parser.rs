//! The filter parser: a recursive descent over the tokens, `or` over `and` over `not`, down to
//! comparisons, value paths and attribute paths.

use super::lexer::{Token, describe, lex};
use super::{MAX_DEPTH, MAX_LENGTH, SyntaxError, error};
use crate::domain::query::{AttrPath, CompValue, CompareOp, Filter};

pub(super) struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    pub(super) fn new(text: &str) -> Result<Self, SyntaxError> {
        if text.len() > MAX_LENGTH {
            return error(format!("longer than {MAX_LENGTH} bytes"));
        }
        if text.trim().is_empty() {
            return error("empty");
        }
        Ok(Self {
            tokens: lex(text)?,
            at: 0,
        })
    }

    pub(super) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    pub(super) fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    pub(super) fn expect(&mut self, token: Token) -> Result<(), SyntaxError> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            Some(t) => error(format!(
                "expected {}, found {}",
                describe(&token),
                describe(&t)
            )),
            None => error(format!("expected {}, found the end", describe(&token))),
        }
    }

    pub(super) fn expect_end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => error(format!(
                "unexpected {} after a complete expression",
                describe(t)
            )),
        }
    }

    pub(super) fn or_expr(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut left = self.and_expr(depth)?;
        while self.peek_keyword("or") {
            self.next();
            let right = self.and_expr(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut left = self.unary(depth)?;
        while self.peek_keyword("and") {
            self.next();
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        if depth > MAX_DEPTH {
            return error(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        if self.peek_keyword("not") {
            self.next();
            self.expect(Token::Open('('))?;
            let inner = self.or_expr(depth + 1)?;
            self.expect(Token::Close(')'))?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open('(')) {
            self.next();
            let inner = self.or_expr(depth + 1)?;
            self.expect(Token::Close(')'))?;
            return Ok(inner);
        }
        self.attr_expr(depth)
    }

    fn attr_expr(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let path = match self.next() {
            Some(Token::Word(word)) => attr_path(&word)?,
            Some(t) => {
                return error(format!(
                    "expected an attribute name, found {}",
                    describe(&t)
                ));
            }
            None => return error("expected an attribute name, found the end"),
        };
        if self.peek() == Some(&Token::Open('[')) {
            if path.sub.is_some() {
                return error("a value filter applies to an attribute, not a sub-attribute");
            }
            self.next();
            let inner = self.or_expr(depth + 1)?;
            self.expect(Token::Close(']'))?;
            let filter = match self.peek().cloned() {
                // Entra: `emails[type eq "work"].value eq "x"`.
                Some(Token::SubAttr(sub)) => {
                    self.next();
                    let sub_path = AttrPath::simple(&sub);
                    let tail = self.comparison(sub_path)?;
                    Filter::And(Box::new(inner), Box::new(tail))
                }
                _ => inner,
            };
            return Ok(Filter::ValuePath {
                attr: path,
                filter: Box::new(filter),
            });
        }
        self.comparison(path)
    }

    /// `pr`, or an operator and a value, after an attribute path.
    fn comparison(&mut self, path: AttrPath) -> Result<Filter, SyntaxError> {
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => {
                return Ok(Filter::Present(path));
            }
            Some(Token::Word(w)) => CompareOp::parse(&w)
                .ok_or_else(|| SyntaxError(format!("unknown operator `{w}` after {path}")))?,
            Some(t) => {
                return error(format!(
                    "expected an operator after {path}, found {}",
                    describe(&t)
                ));
            }
            None => return error(format!("expected an operator after {path}")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => CompValue::String(s),
            Some(Token::Word(w)) => word_value(&w),
            Some(t) => {
                return error(format!(
                    "expected a value after the operator, found {}",
                    describe(&t)
                ));
            }
            None => return error(format!("expected a value after {path} and its operator")),
        };
        Ok(Filter::Compare { path, op, value })
    }
}

fn word_value(word: &str) -> CompValue {
    match word.to_ascii_lowercase().as_str() {
        "true" => CompValue::Bool(true),
        "false" => CompValue::Bool(false),
        "null" => CompValue::Null,
        _ => match serde_json::from_str::<serde_json::Number>(word) {
            Ok(n) => CompValue::Number(n),
            Err(_) => CompValue::String(word.to_owned()),
        },
    }
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`
pub(super) fn attr_path(word: &str) -> Result<AttrPath, SyntaxError> {
    let is_urn = word.len() > 4
        && word
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    let (urn, rest) = if is_urn {
        match word.rsplit_once(':') {
            Some((urn, rest)) => (Some(urn.to_owned()), rest),
            None => return error(format!("`{word}` is not a valid attribute path")),
        }
    } else {
        (None, word)
    };
    let (attr, sub) = match rest.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (rest, None),
    };
    let valid_name = |name: &str| {
        let mut chars = name.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '$')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !valid_name(attr) || sub.is_some_and(|s| !valid_name(s)) {
        return error(format!("`{word}` is not a valid attribute path"));
    }
    Ok(AttrPath {
        urn,
        attr: attr.to_owned(),
        sub: sub.map(str::to_owned),
    })
}
