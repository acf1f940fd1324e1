//! The SCIM filter grammar (RFC 7644 §3.4.2.2) and PATCH path grammar (§3.5.2), parsed into
//! [`crate::domain::query`] types.
//!
//! Precedence is `not` > `and` > `or`, with parentheses for grouping. Attribute names, operators
//! and keywords are case-insensitive. Tolerated beyond the RFC, because IdPs send them:
//! `attr[filter].sub op value` (Microsoft Entra ID's `emails[type eq "work"].value eq "…"`),
//! read as `attr[filter and sub op value]`; and an unquoted value that is not a keyword or
//! number (authentik), read as a string. Anything else that does not parse is an error, never
//! "match everything". Size and nesting are bounded so a hostile filter costs little.
//!
//! The entry points are here; `lexer.rs` cuts the text into tokens and `parser.rs` builds the
//! expression from them. The unit tests stay in this file: they spell a filter containing
//! `"open"`, a word of the task vocabulary, which the architecture test allows only in the
//! domain or a file's `#[cfg(test)]` tail.

mod lexer;
mod parser;

use lexer::Token;
use parser::{Parser, attr_path};

use crate::domain::query::{AttrPath, Filter};

/// Longest filter or path accepted, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses, `not` and value paths.
pub const MAX_DEPTH: usize = 16;

/// Why a filter or path did not parse. The message is shown to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

fn error<T>(message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError(message.into()))
}

/// A PATCH operation's `path`: `attrPath` or `valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    /// The value filter in `attr[filter]`, selecting elements of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter: `emails[type eq "work"].value`.
    pub sub: Option<String>,
}

pub fn parse_filter(text: &str) -> Result<Filter, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let filter = parser.or_expr(0)?;
    parser.expect_end()?;
    Ok(filter)
}

pub fn parse_path(text: &str) -> Result<PatchPath, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let Some(Token::Word(word)) = parser.next() else {
        return error("a path starts with an attribute name");
    };
    let attr = attr_path(&word)?;
    let mut path = PatchPath {
        attr,
        filter: None,
        sub: None,
    };
    if parser.peek() == Some(&Token::Open('[')) {
        if path.attr.sub.is_some() {
            return error("a value filter applies to an attribute, not a sub-attribute");
        }
        parser.next();
        path.filter = Some(parser.or_expr(1)?);
        parser.expect(Token::Close(']'))?;
        if let Some(Token::SubAttr(sub)) = parser.peek().cloned() {
            parser.next();
            path.sub = Some(sub);
        }
    }
    parser.expect_end()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::{CompValue, CompareOp};

    fn cmp(attr: &str, op: CompareOp, value: CompValue) -> Filter {
        let path = attr_path(attr).unwrap();
        Filter::Compare { path, op, value }
    }

    fn s(v: &str) -> CompValue {
        CompValue::String(v.to_owned())
    }

    #[test]
    fn rfc_examples_parse() {
        // RFC 7644 §3.4.2.2, the examples list.
        for example in [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            parse_filter(example).unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let parsed = parse_filter(r#"a eq 1 or b eq 2 and not (c eq 3)"#).unwrap();
        let one = CompValue::Number(1.into());
        let expected = Filter::Or(
            Box::new(cmp("a", CompareOp::Eq, one)),
            Box::new(Filter::And(
                Box::new(cmp("b", CompareOp::Eq, CompValue::Number(2.into()))),
                Box::new(Filter::Not(Box::new(cmp(
                    "c",
                    CompareOp::Eq,
                    CompValue::Number(3.into()),
                )))),
            )),
        );
        assert_eq!(parsed, expected);
        let grouped = parse_filter(r#"(a eq 1 or b eq 2) and c eq 3"#).unwrap();
        assert!(matches!(grouped, Filter::And(l, _) if matches!(*l, Filter::Or(..))));
    }

    #[test]
    fn values_keywords_and_urns() {
        assert_eq!(
            parse_filter("active eq TRUE").unwrap(),
            cmp("active", CompareOp::Eq, CompValue::Bool(true))
        );
        assert_eq!(
            parse_filter("manager eq null").unwrap(),
            cmp("manager", CompareOp::Eq, CompValue::Null)
        );
        assert_eq!(
            parse_filter(r#"userName eq "a \"quoted\" \u00e9""#).unwrap(),
            cmp("userName", CompareOp::Eq, s("a \"quoted\" é"))
        );
        let urn = parse_filter(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#,
        )
        .unwrap();
        let Filter::Compare { path, .. } = urn else {
            panic!()
        };
        assert_eq!(
            path.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (path.attr.as_str(), path.sub.as_deref()),
            ("manager", Some("value"))
        );
    }

    #[test]
    fn tolerated_idp_forms() {
        // Entra's joiner lookup.
        let entra = parse_filter(r#"emails[type eq "work"].value eq "ann@example.com""#).unwrap();
        let Filter::ValuePath { attr, filter } = entra else {
            panic!()
        };
        assert_eq!(attr.attr, "emails");
        assert_eq!(
            *filter,
            Filter::And(
                Box::new(cmp("type", CompareOp::Eq, s("work"))),
                Box::new(cmp("value", CompareOp::Eq, s("ann@example.com")))
            )
        );
        // authentik's unquoted value.
        assert_eq!(
            parse_filter("userName eq ann@example.com").unwrap(),
            cmp("userName", CompareOp::Eq, s("ann@example.com"))
        );
    }

    #[test]
    fn bad_filters_are_errors_never_everything() {
        for bad in [
            "",
            "   ",
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "userName eq \"open",
            "(userName eq \"a\"",
            "userName eq \"a\")",
            "not userName eq \"a\"",
            "emails[type eq \"work\"",
            "emails.value[type eq \"work\"]",
            "userName eq \"a\" and",
            "userName eq \"a\" xor b eq 1",
            "1abc eq 2",
            "user%Name eq 1",
            "emails[type eq \"work\"]. eq 1",
            // Multi-byte characters where a URN prefix would be (once panicked).
            "abcé eq 1",
            "é eq 1",
            "urné:x eq 1",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn hostile_filters_are_bounded() {
        let deep = format!("{}a eq 1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_filter(&deep).unwrap_err().0.contains("nested"));
        let nots = format!("{}a eq 1{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse_filter(&nots).is_err());
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_LENGTH));
        assert!(parse_filter(&long).unwrap_err().0.contains("longer"));
        // Long but flat is fine: or-chains do not nest.
        let chain = (0..150)
            .map(|i| format!("id eq \"{i}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        assert!(parse_filter(&chain).is_ok());
    }

    #[test]
    fn patch_paths() {
        let simple = parse_path("name.familyName").unwrap();
        assert_eq!(simple.attr, attr_path("name.familyName").unwrap());
        assert!(simple.filter.is_none());

        let member = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert_eq!(member.attr.attr, "members");
        assert_eq!(
            member.filter,
            Some(cmp("value", CompareOp::Eq, s("2819c223")))
        );
        assert_eq!(member.sub, None);

        let email = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(email.sub.as_deref(), Some("value"));

        let urn =
            parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
                .unwrap();
        assert_eq!(urn.attr.attr, "employeeNumber");

        for bad in [
            "",
            "members[",
            "members[value eq \"x\"] extra",
            "a.b.c",
            "emails[type eq \"work\"].",
            "[x]",
        ] {
            assert!(parse_path(bad).is_err(), "{bad:?}");
        }
    }
}
