//! The SCIM filter grammar (RFC 7644 §3.4.2.2) as a request meets it: `?filter=` text parsed
//! and then resolved against the User and Group schemas (what the store compiles to SQL), and
//! the same text read as a PATCH `path` (§3.5.2), which shares the lexer and parser.
//! Any panic is a bug: a bad filter must be a 400 `invalidFilter`, never a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::scim::filter::{parse_filter, parse_path};
use portcullis::scim::resolve::resolve;
use portcullis::scim::resource::ResourceKind;

fuzz_target!(|data: &[u8]| {
    // Query strings reach the handler as UTF-8 text; anything else is refused before.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = parse_filter(text) {
        let _ = resolve(&filter, ResourceKind::User);
        let _ = resolve(&filter, ResourceKind::Group);
    }
    let _ = parse_path(text);
});
