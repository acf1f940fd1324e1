//! Which addresses a webhook may reach. By default only public ones: an administrator who can
//! register a URL must not be able to make the server call into its own network (metadata
//! services, databases, admin consoles on loopback). Deployments that deliver to an internal
//! relay set `webhook_allow_private`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A public unicast address: not loopback, private, link-local, shared (CGNAT), multicast,
/// documentation, benchmarking or reserved; IPv6 forms that embed an IPv4 address are judged
/// by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let last_v4 = || {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                Ipv4Addr::new(a, b, c, d)
            };
            // Forms that carry an IPv4 address, judged by it: NAT64 (64:ff9b::/96),
            // IPv4-compatible (::/96, deprecated), IPv4-translated (::ffff:0:0:0/96).
            if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0])
                || s[0..6] == [0, 0, 0, 0, 0, 0]
                || s[0..6] == [0, 0, 0, 0, 0xffff, 0]
            {
                return is_public_v4(last_v4());
            }
            // 6to4 (2002::/16) embeds one in its second and third segments.
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            // Teredo (2001::/32) and local-use NAT64 (64:ff9b:1::/48) hide an address we
            // cannot judge: refuse them.
            if (s[0] == 0x2001 && s[1] == 0) || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
                return false;
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::from_bits(1)) // ::1 spelled otherwise
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

/// Checks a webhook URL as given: an absolute http(s) URL whose host, when it is an address
/// or `localhost`, is allowed. Names are checked again at every connection ([`GuardedResolver`]),
/// since what a name resolves to can change after it was registered.
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`url` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("`url` must be http:// or https://".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("`url` must not hold credentials; the signature authenticates us".to_owned());
    }
    let refused = || {
        Err(
            "`url` points at a loopback or private address; set webhook_allow_private to allow it"
                .to_owned(),
        )
    };
    match parsed.host() {
        None => Err("`url` has no host".to_owned()),
        Some(url::Host::Ipv4(ip)) if !allow_private && !is_public(ip.into()) => refused(),
        Some(url::Host::Ipv6(ip)) if !allow_private && !is_public(ip.into()) => refused(),
        Some(url::Host::Domain(name))
            if !allow_private
                && (name.eq_ignore_ascii_case("localhost")
                    || name.to_ascii_lowercase().ends_with(".localhost")) =>
        {
            refused()
        }
        Some(_) => Ok(parsed),
    }
}

/// Resolves names like the system does, then drops addresses that are not allowed; a name with
/// none left fails to resolve, so the request never connects.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback or private addresses (webhook_allow_private is off)"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "::169.254.169.254",
            "::ffff:0:a00:1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "64:ff9b:1::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_before_they_are_stored() {
        assert!(check_url("https://hooks.slack.com/services/T/B/X", false).is_ok());
        for bad in [
            "ftp://example.com/x",
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://169.254.169.254/latest/meta-data",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
    }
}
