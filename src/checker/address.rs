//! Which addresses the checker may connect to: public unicast only.
//!
//! Suppliers choose evidence URLs, so a URL must never make the registry reach into its
//! own network: loopback, private ranges, link-local (cloud metadata), multicast,
//! documentation and other special-purpose ranges are refused, in every spelling.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or `Ok` when the checker may connect to it.
pub fn check(ip: IpAddr, allow_loopback: bool) -> Result<(), &'static str> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4, allow_loopback),
        IpAddr::V6(v6) => check_v6(v6, allow_loopback),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn check_v4(ip: Ipv4Addr, allow_loopback: bool) -> Result<(), &'static str> {
    const RULES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified or 'this network' address"),
        ([10, 0, 0, 0], 8, "private address"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT address"),
        (
            [169, 254, 0, 0],
            16,
            "link-local address (includes cloud metadata)",
        ),
        ([172, 16, 0, 0], 12, "private address"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "documentation address"),
        ([192, 88, 99, 0], 24, "6to4 relay address"),
        ([192, 168, 0, 0], 16, "private address"),
        ([198, 18, 0, 0], 15, "benchmarking address"),
        ([198, 51, 100, 0], 24, "documentation address"),
        ([203, 0, 113, 0], 24, "documentation address"),
        ([224, 0, 0, 0], 4, "multicast address"),
        ([240, 0, 0, 0], 4, "reserved or broadcast address"),
    ];
    if in_v4(ip, [127, 0, 0, 0], 8) {
        return if allow_loopback {
            Ok(())
        } else {
            Err("loopback address")
        };
    }
    match RULES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
    {
        Some((_, _, why)) => Err(why),
        None => Ok(()),
    }
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    (u128::from(ip) & mask) == (u128::from(Ipv6Addr::from(net)) & mask)
}

fn embedded_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

fn check_v6(ip: Ipv6Addr, allow_loopback: bool) -> Result<(), &'static str> {
    if ip == Ipv6Addr::LOCALHOST {
        return if allow_loopback {
            Ok(())
        } else {
            Err("loopback address")
        };
    }
    if ip.is_unspecified() {
        return Err("unspecified address");
    }
    // Forms that carry an IPv4 address: judged by that address (IPv4-mapped,
    // IPv4-translated, and the well-known NAT64 prefix).
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96)
        || in_v6(ip, [0, 0, 0, 0, 0xffff, 0, 0, 0], 96)
        || in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96)
    {
        return check_v4(embedded_v4(ip), allow_loopback);
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let v4 = Ipv4Addr::from(((u128::from(ip) >> 80) & 0xffff_ffff) as u32);
        return check_v4(v4, false).map_err(|_| "6to4 address of a non-public IPv4 address");
    }
    const RULES: &[([u16; 8], u32, &str)] = &[
        ([0, 0, 0, 0, 0, 0, 0, 0], 96, "IPv4-compatible address"),
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            "local-use NAT64 address",
        ),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only address"),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            "IETF protocol assignment",
        ),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "documentation address",
        ),
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation address"),
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            "unique local (private) address",
        ),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local address"),
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local address"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast address"),
    ];
    match RULES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
    {
        Some((_, _, why)) => Err(why),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use url::{Host, Url};

    /// The address a URL's host names, parsed as the checker parses it.
    fn host_ip(url: &str) -> std::net::IpAddr {
        match Url::parse(url).unwrap().host().unwrap() {
            Host::Ipv4(v4) => v4.into(),
            Host::Ipv6(v6) => v6.into(),
            Host::Domain(d) => panic!("{url} parsed as the domain {d}"),
        }
    }

    #[test]
    fn refuses_every_non_public_address_in_every_spelling() {
        let refused = [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.0.0.1/",
            "http://017700000001/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://0.0.0.0/",
            "http://0/",
            "http://[::]/",
            "http://10.0.0.1/",
            "http://012.0.0.1/",
            "http://172.16.5.4/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://3232235777/",
            "http://0xc0a80101/",
            "http://[::ffff:192.168.1.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2852039166/",
            "http://0xa9fea9fe/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[fc00::1]/",
            "http://224.0.0.1/",
            "http://239.255.255.250/",
            "http://[ff02::1]/",
            "http://100.64.0.1/",
            "http://100.127.255.254/",
            "http://192.0.2.10/",
            "http://198.51.100.7/",
            "http://203.0.113.9/",
            "http://[2001:db8::1]/",
            "http://198.18.0.1/",
            "http://255.255.255.255/",
            "http://240.0.0.1/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:a00:1::]/",
            "http://[::a00:1]/",
            "http://[fec0::1]/",
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:0:a00:1]/",
            "http://[64:ff9b:1::7f00:1]/",
            "http://[64:ff9b:1::808:808]/",
        ];
        for url in refused {
            let ip = host_ip(url);
            assert!(check(ip, false).is_err(), "{url} ({ip}) must be refused");
        }
    }

    /// Every range the operator guide lists is refused, at its first and last address.
    #[test]
    fn every_range_the_operator_guide_lists_is_refused() {
        let guide = include_str!("../../docs/operator.md");
        let ranges: Vec<&str> = guide
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .filter(|r| r.contains('/'))
            .collect();
        assert!(
            ranges.len() >= 25,
            "the guide's table of ranges: {ranges:?}"
        );
        for range in ranges {
            let (net, prefix) = range.split_once('/').unwrap();
            let prefix: u32 = prefix.parse().unwrap();
            let net: std::net::IpAddr = net.parse().unwrap();
            let (first, last): (std::net::IpAddr, std::net::IpAddr) = match net {
                std::net::IpAddr::V4(v4) => {
                    let host = if prefix == 32 { 0 } else { u32::MAX >> prefix };
                    let base = u32::from(v4) & !host;
                    (
                        std::net::Ipv4Addr::from(base).into(),
                        std::net::Ipv4Addr::from(base | host).into(),
                    )
                }
                std::net::IpAddr::V6(v6) => {
                    let host = if prefix == 128 {
                        0
                    } else {
                        u128::MAX >> prefix
                    };
                    let base = u128::from(v6) & !host;
                    (
                        std::net::Ipv6Addr::from(base).into(),
                        std::net::Ipv6Addr::from(base | host).into(),
                    )
                }
            };
            for ip in [first, last] {
                let loopback = range == "127.0.0.0/8" || range == "::1/128";
                // The embedded-IPv4 forms are judged by the address they carry: their
                // last address carries 255.255.255.255, their first 0.0.0.0.
                assert!(check(ip, false).is_err(), "{ip} in {range} must be refused");
                if !loopback && !range.starts_with("::ffff:") && !range.starts_with("64:ff9b::/") {
                    assert!(check(ip, true).is_err(), "{ip} in {range} stays refused");
                }
            }
        }
    }

    #[test]
    fn allows_public_addresses() {
        for url in [
            "http://93.184.215.14/",
            "http://8.8.8.8/",
            "http://1.1.1.1/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
            "http://[2606:4700:4700::1111]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[2002:808:808::]/",
        ] {
            let ip = host_ip(url);
            assert_eq!(check(ip, false), Ok(()), "{url} ({ip}) is public");
        }
    }

    #[test]
    fn the_loopback_setting_allows_loopback_only() {
        for url in [
            "http://127.0.0.1/",
            "http://127.9.9.9/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
        ] {
            assert_eq!(check(host_ip(url), true), Ok(()), "{url}");
        }
        for url in [
            "http://10.0.0.1/",
            "http://169.254.169.254/",
            "http://192.168.0.1/",
            "http://[fd00::1]/",
            "http://0.0.0.0/",
        ] {
            assert!(check(host_ip(url), true).is_err(), "{url} stays refused");
        }
    }
}
