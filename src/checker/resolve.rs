//! Name resolution that refuses non-public addresses before any connection is made.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address;

/// A host resolved to an address the checker must not reach.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, a {why}")]
pub struct Blocked {
    pub host: String,
    pub ip: IpAddr,
    pub why: &'static str,
}

/// Resolves with the system resolver, then refuses the whole answer when any address is
/// not public. reqwest connects only to the addresses returned here, so a name cannot
/// resolve to a public address for the check and a private one for the connection.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                if let Err(why) = address::check(a.ip(), allow_loopback) {
                    return Err(Box::new(Blocked {
                        host,
                        ip: a.ip(),
                        why,
                    })
                        as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
