//! A TCP server on a loopback port for the tests' stand-ins (the SMTP sink, the webhook
//! receiver): a thread per connection, and, when dropped, stopping as a killed process
//! would: no new connection is taken and open ones close.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Loopback {
    pub port: u16,
    stopped: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl Loopback {
    /// Listens on `port` (retrying while a port let go of a moment ago is still held)
    /// and hands each connection to `serve` on a thread of its own.
    pub fn start_at(port: u16, serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Loopback {
        let started = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(
                        started.elapsed() < Duration::from_secs(60),
                        "port {port}: {e}"
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        };
        let stopped = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (stop, open, serve) = (stopped.clone(), connections.clone(), Arc::new(serve));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(copy) = stream.try_clone() {
                    open.lock().unwrap().push(copy);
                }
                let serve = serve.clone();
                std::thread::spawn(move || serve(stream));
            }
        });
        Loopback {
            port,
            stopped,
            connections,
        }
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accepting thread
        for c in self.connections.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}
