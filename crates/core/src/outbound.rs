//! Which network addresses outgoing calls (webhooks, payment providers) may reach: public
//! unicast only. Anything internal — loopback, private, link-local (cloud metadata at
//! 169.254.169.254), CGNAT, multicast, documentation and reserved ranges, and IPv6 forms that
//! embed such an IPv4 address — is refused, so a URL cannot be used to probe or call the
//! server's own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address an outgoing call may connect to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// IPv4: refuses every special-purpose range of the IANA registry that is not globally
/// reachable.
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18/15
        || a >= 240; // reserved 240/4
    !special
}

/// IPv6: refuses loopback, unspecified, multicast, unique local (fc00::/7), link-local
/// (fe80::/10), site-local (fec0::/10), documentation (2001:db8::/32), discard (100::/64),
/// and judges IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses by the IPv4 address they
/// carry.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
        || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments 2001::/23 (Teredo, ORCHID…)
        || s[0] == 0; // the rest of ::/16 (reserved)
    !special
}

/// The IPv4 address an IPv6 address stands for, when it is one of the forms that route to
/// IPv4: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
/// `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // ::1 and :: are IPv6 loopback/unspecified, judged as such (both refused anyway).
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// A development allowlist entry: `host` (any port) or `host:port`, e.g. `localhost` or
/// `127.0.0.1:8080`. Hosts on it may be reached over plain http and at internal addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    host: String,
    port: Option<u16>,
}

/// Parses a comma-separated allowlist (`CLEARWAY_OUTBOUND_ALLOW`); blanks are skipped.
/// IPv6 hosts are written in brackets (`[::1]:8080`).
pub fn parse_allowlist(text: &str) -> Result<Vec<AllowEntry>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(parse_entry)
        .collect()
}

fn parse_entry(entry: &str) -> Result<AllowEntry, String> {
    let bad = || format!("'{entry}' is not host or host:port");
    let (host, port) = match entry.rsplit_once(':') {
        // A bare IPv6 address has colons but no brackets: it is a host without a port.
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            (h, Some(p.parse::<u16>().map_err(|_| bad())?))
        }
        _ => (entry, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(bad());
    }
    Ok(AllowEntry {
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Whether `host` (no brackets) on `port` is on the allowlist.
pub fn allowed(list: &[AllowEntry], host: &str, port: u16) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.iter()
        .any(|e| e.host.eq_ignore_ascii_case(host) && e.port.is_none_or(|p| p == port))
}

/// Whether `host` is on the allowlist for some port (the resolver sees names, not ports).
pub fn host_allowed(list: &[AllowEntry], host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.iter().any(|e| e.host.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "100::1",
            "2001::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(s)), "{s} must be allowed");
        }
    }

    proptest! {
        /// An IPv4 address and its IPv4-mapped IPv6 form are always judged alike.
        #[test]
        fn mapped_v6_is_judged_like_its_v4(n in any::<u32>()) {
            let v4 = Ipv4Addr::from(n);
            prop_assert_eq!(is_public_v4(v4), is_public_v6(v4.to_ipv6_mapped()));
        }

        /// Nothing in 10/8, 127/8 or 169.254/16 is ever public.
        #[test]
        fn private_blocks_are_never_public(a in prop::sample::select(vec![10u8, 127, 169]), b: u8, c: u8, d: u8) {
            let b = if a == 169 { 254 } else { b };
            prop_assert!(!is_public_v4(Ipv4Addr::new(a, b, c, d)));
        }
    }

    #[test]
    fn allowlist_matches_host_and_optional_port() {
        let list = parse_allowlist("127.0.0.1:8080, localhost,[::1]:9000").unwrap();
        assert!(allowed(&list, "127.0.0.1", 8080));
        assert!(!allowed(&list, "127.0.0.1", 5432));
        assert!(allowed(&list, "LOCALHOST", 1));
        assert!(allowed(&list, "[::1]", 9000));
        assert!(!allowed(&list, "::1", 9001));
        assert!(host_allowed(&list, "127.0.0.1"));
        assert!(!host_allowed(&list, "10.0.0.1"));
        assert!(parse_allowlist("").unwrap().is_empty());
        assert!(parse_allowlist("host:notaport").is_err());
        assert!(parse_allowlist("user@host").is_err());
    }
}
