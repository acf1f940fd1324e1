//! The SCIM schemas we serve (RFC 7643 §4, §8.7.1): exactly the attributes Portcullis stores.
//!
//! These definitions drive everything attribute-shaped: the `/Schemas` document, resolving
//! attribute names case-insensitively (RFC 7643 §2.1), input coercion, output projection
//! (`attributes`/`excludedAttributes`) and filter compilation. Advertising an attribute we do
//! not keep would make conformance tools PATCH it and IdPs map it, so nothing else is listed
//! (no `password`, `ims`, `photos`, `roles`, `entitlements`, `x509Certificates`).

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub use crate::domain::directory::ENTERPRISE_URN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Boolean,
    DateTime,
    Reference,
    Complex,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Boolean => "boolean",
            Kind::DateTime => "dateTime",
            Kind::Reference => "reference",
            Kind::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Default,
}

/// One attribute (or sub-attribute) definition.
#[derive(Debug)]
pub struct Attr {
    pub name: &'static str,
    pub kind: Kind,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    /// `server` uniqueness (userName, group displayName); otherwise `none`.
    pub unique: bool,
    pub description: &'static str,
    pub canonical: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub: &'static [Attr],
}

impl Attr {
    /// Finds a sub-attribute by name, case-insensitively.
    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        let subs: &'static [Attr] = self.sub;
        subs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn is_writable(&self) -> bool {
        self.mutability != Mutability::ReadOnly
    }
}

const fn string(name: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind: Kind::String,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        unique: false,
        description,
        canonical: &[],
        reference_types: &[],
        sub: &[],
    }
}

const fn boolean(name: &'static str, description: &'static str) -> Attr {
    Attr {
        kind: Kind::Boolean,
        ..string(name, description)
    }
}

const fn complex(name: &'static str, description: &'static str, sub: &'static [Attr]) -> Attr {
    Attr {
        kind: Kind::Complex,
        sub,
        ..string(name, description)
    }
}

const fn multi(attr: Attr) -> Attr {
    Attr {
        multi: true,
        ..attr
    }
}

const fn typed(canonical: &'static [&'static str]) -> Attr {
    Attr {
        canonical,
        ..string("type", "A label indicating the attribute's function")
    }
}

const PRIMARY: Attr = boolean(
    "primary",
    "Whether this is the preferred value; at most one is",
);
const DISPLAY: Attr = string(
    "display",
    "A human-readable name, primarily used for display",
);

static NAME_SUB: [Attr; 6] = [
    string("formatted", "The full name, formatted for display"),
    string("familyName", "The family name, or last name"),
    string("givenName", "The given name, or first name"),
    string("middleName", "The middle name(s)"),
    string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'"),
    string("honorificSuffix", "The honorific suffix(es), e.g. 'III'"),
];

static EMAIL_SUB: [Attr; 4] = [
    string("value", "The e-mail address"),
    DISPLAY,
    typed(&["work", "home", "other"]),
    PRIMARY,
];

static PHONE_SUB: [Attr; 4] = [
    string("value", "The phone number, stored as sent"),
    DISPLAY,
    typed(&["work", "home", "mobile", "fax", "pager", "other"]),
    PRIMARY,
];

static ADDRESS_SUB: [Attr; 8] = [
    string(
        "formatted",
        "The full mailing address, formatted for display",
    ),
    string("streetAddress", "The street address"),
    string("locality", "The city or locality"),
    string("region", "The state or region"),
    string("postalCode", "The zip or postal code"),
    string("country", "The country, as an ISO 3166-1 alpha-2 code"),
    typed(&["work", "home", "other"]),
    PRIMARY,
];

static GROUPS_SUB: [Attr; 4] = [
    Attr {
        mutability: Mutability::ReadOnly,
        ..string("value", "The id of the group")
    },
    Attr {
        kind: Kind::Reference,
        mutability: Mutability::ReadOnly,
        reference_types: &["Group"],
        ..string("$ref", "The URI of the group")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..string("display", "The group's displayName")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        canonical: &["direct"],
        ..string("type", "How the membership was derived")
    },
];

pub static USER_ATTRS: [Attr; 16] = [
    Attr {
        required: true,
        unique: true,
        ..string(
            "userName",
            "Unique identifier for the user, compared case-insensitively, stored as sent",
        )
    },
    complex("name", "The components of the user's name", &NAME_SUB),
    string("displayName", "The name of the user, suitable for display"),
    string("nickName", "The casual way to address the user"),
    Attr {
        kind: Kind::Reference,
        reference_types: &["external"],
        ..string("profileUrl", "A URI pointing to the user's online profile")
    },
    string("title", "The user's job title, e.g. 'Front Desk'"),
    string(
        "userType",
        "The relationship of the user to the practice, e.g. 'Employee', 'Contractor', 'Vendor'",
    ),
    string(
        "preferredLanguage",
        "The user's preferred written or spoken language",
    ),
    string("locale", "The user's default location, e.g. en-US"),
    string("timezone", "The user's time zone, in IANA format"),
    boolean(
        "active",
        "Whether the user works for the practice; false starts the leaver process",
    ),
    multi(complex(
        "emails",
        "E-mail addresses for the user",
        &EMAIL_SUB,
    )),
    multi(complex(
        "phoneNumbers",
        "Phone numbers for the user",
        &PHONE_SUB,
    )),
    multi(complex(
        "addresses",
        "Physical mailing addresses for the user",
        &ADDRESS_SUB,
    )),
    Attr {
        mutability: Mutability::ReadOnly,
        ..multi(complex(
            "groups",
            "The groups the user belongs to, derived from group membership",
            &GROUPS_SUB,
        ))
    },
    // Kept last: not advertised, only here so input carrying it is recognised and dropped.
    Attr {
        mutability: Mutability::ReadOnly,
        ..string("password", "Never stored or returned")
    },
];

/// The user attributes listed in `/Schemas` (everything but the input-only `password`).
pub fn advertised_user_attrs() -> &'static [Attr] {
    &USER_ATTRS[..USER_ATTRS.len() - 1]
}

static MANAGER_SUB: [Attr; 3] = [
    string("value", "The id of the user's manager"),
    Attr {
        kind: Kind::Reference,
        reference_types: &["User"],
        ..string("$ref", "The URI of the manager")
    },
    Attr {
        mutability: Mutability::ReadOnly,
        ..string("displayName", "The manager's displayName")
    },
];

pub static ENTERPRISE_ATTRS: [Attr; 6] = [
    string(
        "employeeNumber",
        "A numeric or alphanumeric identifier assigned by the organization",
    ),
    string("costCenter", "The name of a cost center"),
    string("organization", "The name of an organization"),
    string("division", "The name of a division"),
    string("department", "The name of a department"),
    complex("manager", "The user's manager", &MANAGER_SUB),
];

static MEMBERS_SUB: [Attr; 3] = [
    Attr {
        mutability: Mutability::Immutable,
        ..string("value", "The id of the member")
    },
    Attr {
        kind: Kind::Reference,
        mutability: Mutability::Immutable,
        reference_types: &["User", "Group"],
        ..string("$ref", "The URI of the member")
    },
    Attr {
        mutability: Mutability::Immutable,
        canonical: &["User", "Group"],
        ..string("type", "The kind of member")
    },
];

pub static GROUP_ATTRS: [Attr; 2] = [
    Attr {
        required: true,
        unique: true,
        ..string("displayName", "A human-readable name for the group")
    },
    multi(complex("members", "The members of the group", &MEMBERS_SUB)),
];

/// A schema we serve.
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attrs: &'static [Attr],
}

pub fn user_schema() -> Schema {
    Schema {
        id: USER_URN,
        name: "User",
        description: "A member of the practice's workforce",
        attrs: advertised_user_attrs(),
    }
}

pub fn enterprise_schema() -> Schema {
    Schema {
        id: ENTERPRISE_URN,
        name: "EnterpriseUser",
        description: "Enterprise attributes; department, division, cost center and manager drive access policy",
        attrs: &ENTERPRISE_ATTRS,
    }
}

pub fn group_schema() -> Schema {
    Schema {
        id: GROUP_URN,
        name: "Group",
        description: "A group of users, e.g. pushed by Okta Group Push",
        attrs: &GROUP_ATTRS,
    }
}

pub fn all_schemas() -> [Schema; 3] {
    [user_schema(), enterprise_schema(), group_schema()]
}

/// Finds a top-level attribute by name, case-insensitively.
pub fn find(attrs: &'static [Attr], name: &str) -> Option<&'static Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The `/Schemas` representation of a schema (RFC 7643 §7): camelCase characteristic values,
/// no nulls (Entra rejects them).
pub fn schema_json(schema: &Schema, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attrs.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base_url}/Schemas/{}", schema.id),
        },
    })
}

fn attr_json(attr: &Attr) -> serde_json::Value {
    let mut json = serde_json::json!({
        "name": attr.name,
        "type": attr.kind.as_str(),
        "multiValued": attr.multi,
        "description": attr.description,
        "required": attr.required,
        "caseExact": attr.case_exact,
        "mutability": match attr.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
        },
        "returned": match attr.returned {
            Returned::Always => "always",
            Returned::Default => "default",
        },
        "uniqueness": if attr.unique { "server" } else { "none" },
    });
    if !attr.canonical.is_empty() {
        json["canonicalValues"] = serde_json::json!(attr.canonical);
    }
    if !attr.reference_types.is_empty() {
        json["referenceTypes"] = serde_json::json!(attr.reference_types);
    }
    if !attr.sub.is_empty() {
        json["subAttributes"] = attr.sub.iter().map(attr_json).collect();
    }
    json
}
