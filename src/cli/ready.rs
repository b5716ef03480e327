//! `ready`: asks a running instance's `/readyz` and exits 0 only on 200, for a container's
//! health check (the image has no curl). Plain HTTP/1.1 over loopback, bounded in time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Whether the instance listening on `bind` is ready: its database answers.
pub fn run(bind: SocketAddr) -> anyhow::Result<()> {
    // An instance bound to every address is asked on loopback.
    let addr = match bind.ip().is_unspecified() {
        true => SocketAddr::new(
            if bind.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            },
            bind.port(),
        ),
        false => bind,
    };
    let wait = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr, wait)
        .map_err(|e| anyhow::anyhow!("nothing answers on {addr}: {e}"))?;
    stream.set_read_timeout(Some(wait))?;
    stream.set_write_timeout(Some(wait))?;
    write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.take(4096).read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    match status.split_whitespace().nth(1) {
        Some("200") => {
            println!("ready");
            Ok(())
        }
        _ => anyhow::bail!("not ready: {addr} answered {status:?}"),
    }
}
