//! What the benchmarks share: loopback servers in a child process, and peak memory.

use std::io::Write;

/// The value after `name` on the command line, or `default`.
pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

use actix_web::{App, HttpServer, web};

/// Serves `handler` on `n` loopback ports and prints them, comma-separated, on one line
/// of standard output (the parent reads it); runs until killed.
pub fn serve_ports<F, Args>(n: usize, handler: F) -> std::io::Result<()>
where
    F: actix_web::Handler<Args> + Clone + Send + 'static,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let ports: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port().to_string()))
        .collect::<Result<_, _>>()?;
    actix_web::rt::System::new().block_on(async move {
        let mut server =
            HttpServer::new(move || App::new().default_service(web::to(handler.clone())))
                .workers(1)
                .backlog(4096);
        for l in listeners {
            server = server.listen(l)?;
        }
        let running = server.run();
        println!("{}", ports.join(","));
        std::io::stdout().flush()?;
        running.await
    })
}

/// This process's peak resident memory, in KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
