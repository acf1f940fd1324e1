//! The rules a practice portal must meet before it is written, for the admin API and the
//! console alike: a catalogue portal or a well-formed portal of the practice's own, valid
//! organization identifiers (a TIN of 9 digits, a group NPI with its check digit), sane
//! administrator limits, known SLA keys, an http(s) URL.

use crate::domain::catalog::{Catalog, check_portal, is_slug};
use crate::domain::sla::SlaKey;
use crate::store::StoreError;
use crate::store::portals::PracticePortalWrite;

fn refused(detail: impl Into<String>) -> StoreError {
    StoreError::Refused(detail.into())
}

fn digits(value: &Option<String>, len: usize, name: &str) -> Result<(), StoreError> {
    match value {
        Some(v) if v.len() != len || !v.bytes().all(|b| b.is_ascii_digit()) => {
            Err(refused(format!("org_scope.{name} must be {len} digits")))
        }
        _ => Ok(()),
    }
}

/// NPI check digit (Luhn over `80840` + the first nine digits).
fn npi_is_valid(npi: &str) -> bool {
    let digits: Vec<u32> = format!("80840{npi}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    digits.len() == 15 && sum.is_multiple_of(10)
}

/// `write` if it meets the rules, else `Refused` naming the field and the rule.
pub fn checked(
    catalog: &Catalog,
    write: PracticePortalWrite,
) -> Result<PracticePortalWrite, StoreError> {
    if !is_slug(&write.portal_slug) {
        return Err(refused(
            "`portal` must be a slug (lowercase letters, digits, '-')",
        ));
    }
    let in_catalog = catalog.portal(&write.portal_slug).is_some();
    match (&write.custom, in_catalog) {
        (None, false) => {
            return Err(refused(format!(
                "`{}` is not in the catalogue; give a `definition` to add the practice's own portal",
                write.portal_slug
            )));
        }
        (Some(_), true) => {
            return Err(refused(format!(
                "`{}` is a catalogue portal: leave out `definition`",
                write.portal_slug
            )));
        }
        (Some(definition), false) => {
            check_portal(definition).map_err(refused)?;
            if definition.slug != write.portal_slug {
                return Err(refused("`definition.slug` must equal `portal`"));
            }
        }
        (None, true) => {}
    }
    digits(&write.org_scope.tin, 9, "tin")?;
    digits(&write.org_scope.group_npi, 10, "group_npi")?;
    for (name, value, max) in [
        ("org_scope.ptan", &write.org_scope.ptan, 64),
        (
            "org_scope.trading_partner_id",
            &write.org_scope.trading_partner_id,
            64,
        ),
        ("url", &write.url, 2048),
    ] {
        if value.as_deref().is_some_and(|v| v.len() > max) {
            return Err(refused(format!(
                "`{name}` must be at most {max} characters"
            )));
        }
    }
    if write
        .org_scope
        .group_npi
        .as_deref()
        .is_some_and(|n| !npi_is_valid(n))
    {
        return Err(refused("org_scope.group_npi fails the NPI check digit"));
    }
    if let (Some(min), Some(max)) = (write.min_admins, write.max_admins)
        && min > max
    {
        return Err(refused("min_admins exceeds max_admins"));
    }
    if let Some(key) = write
        .sla_overrides
        .keys()
        .find(|k| !SlaKey::ALL.iter().any(|s| s.as_str() == k.as_str()))
    {
        return Err(refused(format!(
            "sla_overrides: unknown key `{key}` (use deprovision, modify_removal, provision, transfer_admin, notify_third_party)"
        )));
    }
    if let Some(url) = &write.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(refused("`url` must be an http(s) URL"));
    }
    Ok(write)
}

#[cfg(test)]
mod tests {
    use super::npi_is_valid;

    #[test]
    fn npi_check_digits() {
        assert!(npi_is_valid("1234567893"));
        assert!(!npi_is_valid("1234567890"));
    }
}
