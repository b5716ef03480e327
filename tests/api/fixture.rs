//! A local stand-in for the web: every behaviour the evidence checker must handle,
//! served on 127.0.0.1, counting the requests it gets per path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::StreamExt;

/// Requests per path, body bytes sent for `/huge`, and the pages a test writes
/// (path under `/page/`: content type and body).
#[derive(Default)]
pub struct Hits(
    Mutex<HashMap<String, u32>>,
    std::sync::atomic::AtomicU64,
    Mutex<HashMap<String, (String, Vec<u8>)>>,
);

impl Hits {
    fn bump(&self, path: &str) -> u32 {
        let mut m = self.0.lock().unwrap();
        let n = m.entry(path.to_owned()).or_default();
        *n += 1;
        *n
    }
}

pub struct Fixture {
    pub base: String,
    pub hits: Arc<Hits>,
}

impl Fixture {
    pub async fn start() -> Fixture {
        let hits = Arc::new(Hits::default());
        let data = web::Data::from(hits.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(handle))
        })
        .workers(2)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Fixture {
            base: format!("http://127.0.0.1:{port}"),
            hits,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Body bytes handed to the network for `/huge` (the server stops producing them
    /// once the socket's buffers are full and the client has stopped reading).
    pub fn huge_bytes_sent(&self) -> u64 {
        self.hits.1.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Serves `body` as `content_type` at `/page/<name>` from now on.
    pub fn set_page(&self, name: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.hits
            .2
            .lock()
            .unwrap()
            .insert(name.to_owned(), (content_type.to_owned(), body.into()));
    }

    /// Requests received for a path (all methods).
    pub fn hits(&self, path: &str) -> u32 {
        self.hits.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// A gzip body that inflates to 64 MiB.
fn bomb() -> Vec<u8> {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap()
    })
    .clone()
}

/// A port nothing listens on.
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/gone")
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", to))
        .finish()
}

async fn handle(req: HttpRequest, hits: web::Data<Hits>) -> HttpResponse {
    let path = req.path().to_owned();
    let n = hits.bump(&path);
    let head = req.method() == actix_web::http::Method::HEAD;
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let status = |code: u16| {
        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).body("fixture")
    };
    match parts.as_slice() {
        ["ok"] | ["ok", ..] => HttpResponse::Ok().body("evidence"),
        ["status", code] => status(code.parse().unwrap_or(500)),
        ["head-refused"] if head => status(405),
        ["head-404"] if head => status(404),
        ["head-501"] if head => status(501),
        ["head-refused"] | ["head-404"] | ["head-501"] => HttpResponse::Ok().body("GET works"),
        ["redirect", hops] => match hops.parse::<u32>().unwrap_or(0) {
            0 => HttpResponse::Ok().body("arrived"),
            k => redirect(&format!("/redirect/{}", k - 1)),
        },
        ["relative-redirect"] => redirect("ok/moved"),
        ["loop", "a"] => redirect("/loop/b"),
        ["loop", "b"] => redirect("/loop/a"),
        ["redirect-private"] => redirect("http://10.1.2.3/internal"),
        ["redirect-metadata"] => redirect("http://169.254.169.254/latest/meta-data/"),
        ["redirect-decimal"] => redirect("http://2852039166/"),
        ["redirect-ftp"] => redirect("ftp://files.example.org/policy.pdf"),
        ["redirect-nowhere"] => HttpResponse::Found().finish(),
        ["rate-limited", _key, times] if n <= times.parse().unwrap_or(0) => {
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", "1"))
                .finish()
        }
        ["rate-limited", ..] => HttpResponse::Ok().body("finally"),
        ["always-429"] => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish(),
        ["long-retry-after"] => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "86400"))
            .finish(),
        ["flaky", _key, times] if n <= times.parse().unwrap_or(0) => status(503),
        ["flaky", ..] => HttpResponse::Ok().body("recovered"),
        ["slow"] => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            HttpResponse::Ok().body("too late")
        }
        ["hang"] => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::Ok().finish()
        }
        // HEAD refused, so the checker has to GET 1 GiB, and must stop reading early.
        ["huge"] if head => status(405),
        ["huge"] => {
            let chunk = web::Bytes::from(vec![b'x'; 64 * 1024]);
            let hits = hits.clone();
            let body = futures_util::stream::repeat_with(move || {
                hits.1
                    .fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
                Ok::<_, std::io::Error>(chunk.clone())
            })
            .take(16 * 1024);
            HttpResponse::Ok().streaming(body)
        }
        ["page", name] => match hits.2.lock().unwrap().get(*name).cloned() {
            Some((ctype, body)) => HttpResponse::Ok().content_type(ctype).body(body),
            None => status(404),
        },
        // A page of 20 MiB that says so, and one that does not.
        ["big"] => HttpResponse::Ok()
            .content_type("text/html")
            .body(vec![b'a'; 20 * 1024 * 1024]),
        ["big-unsaid"] => {
            let chunk = web::Bytes::from(vec![b'a'; 64 * 1024]);
            let body =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()))
                    .take(320);
            HttpResponse::Ok().content_type("text/html").streaming(body)
        }
        // (A streamed body is no answer to HEAD: the server would produce it forever.)
        ["endless"] | ["drip"] if head => HttpResponse::Ok().content_type("text/html").finish(),
        // A body that never ends, fast.
        ["endless"] => {
            let chunk = web::Bytes::from(vec![b'<'; 64 * 1024]);
            let body =
                futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            HttpResponse::Ok().content_type("text/html").streaming(body)
        }
        // A body that never ends, a little at a time.
        ["drip"] => {
            let body = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((
                    Ok::<_, std::io::Error>(web::Bytes::from_static(b"<p>more</p>")),
                    (),
                ))
            });
            HttpResponse::Ok().content_type("text/html").streaming(body)
        }
        // Bytes that are no document, said to be one.
        ["junk"] => HttpResponse::Ok().content_type("text/html").body(
            (0..300_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect::<Vec<u8>>(),
        ),
        // 64 MiB of text in 64 KiB of gzip, sent unasked.
        ["bomb"] => HttpResponse::Ok()
            .content_type("text/html")
            .insert_header(("Content-Encoding", "gzip"))
            .body(bomb()),
        ["octets"] => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(vec![0u8; 1024]),
        ["latency", ms, code] => {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            status(code.parse().unwrap_or(200))
        }
        _ => status(404),
    }
}
