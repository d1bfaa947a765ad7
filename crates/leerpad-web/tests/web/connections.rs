//! The real HTTP server on a socket: what the kernel does with its responses.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::fd::BorrowedFd;

use crate::support::test_app;

/// One response read off a kept-alive connection: headers (lower-cased names) and
/// the body as sent (chunked transfer decoded, compression not).
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> RawResponse {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').unwrap();
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let mut res = RawResponse {
        status,
        headers,
        body: Vec::new(),
    };
    if let Some(n) = res.header("content-length") {
        let mut body = vec![0; n.parse().unwrap()];
        r.read_exact(&mut body).unwrap();
        res.body = body;
    } else if res.header("transfer-encoding") == Some("chunked") {
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            let size = usize::from_str_radix(line.trim_end(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
            res.body.extend_from_slice(&chunk[..size]);
        }
    }
    res
}

/// The server's end of the connection from `client_port` to `server_port`: the test
/// runs the server in this process, so it is one of this process's descriptors.
fn server_socket_nodelay(server_port: u16, client_port: u16) -> Option<bool> {
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor is open (listed just now) and only borrowed for the
        // calls below; nothing closes it meanwhile but the server, which keeps the
        // connection open until the client closes it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&fd);
        let (Ok(local), Ok(peer)) = (sock.local_addr(), sock.peer_addr()) else {
            continue;
        };
        let (Some(local), Some(peer)) = (local.as_socket(), peer.as_socket()) else {
            continue;
        };
        if local.port() == server_port && peer.port() == client_port {
            return Some(sock.tcp_nodelay().unwrap());
        }
    }
    None
}

/// A compressed page leaves in more than one write (headers, then the compressed
/// body as it is produced). With Nagle's algorithm the kernel holds a small write
/// back while an earlier one is unacknowledged, and browsers delay their
/// acknowledgements on a kept-alive connection by up to 40 ms: every compressed
/// page after the first would wait for that. The server switches Nagle off on every
/// connection; this checks it on the very socket two compressed pages went out on.
#[actix_web::test]
async fn compressed_pages_on_a_kept_alive_connection_are_sent_without_waiting() {
    let t = test_app(|_| {}).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = leerpad_web::server(t.state.clone(), listener).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client_port = stream.local_addr().unwrap().port();
    let (responses, nodelay) = actix_web::rt::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut responses = Vec::new();
        for _ in 0..2 {
            writer
                .write_all(
                    b"GET /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n",
                )
                .unwrap();
            responses.push(read_response(&mut reader));
        }
        // Still connected: the server's end of this connection is open.
        let nodelay = server_socket_nodelay(port, client_port);
        (responses, nodelay)
    })
    .await
    .unwrap();

    for r in &responses {
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-encoding"),
            Some("gzip"),
            "{:?}",
            r.headers
        );
        let mut html = String::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_string(&mut html)
            .unwrap();
        assert!(html.contains("</html>"), "a whole page: {html}");
    }
    // Both went over one connection (kept alive), the case that used to wait.
    assert_ne!(responses[0].header("connection"), Some("close"));
    assert_eq!(
        nodelay,
        Some(true),
        "the server's socket has TCP_NODELAY (None: socket not found)"
    );
    handle.stop(true).await;
}
