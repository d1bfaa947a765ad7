//! A real SMTP server on `127.0.0.1` for tests (feature `testing`), here and in
//! other crates' tests.
//!
//! It speaks enough SMTP for lettre and most clients (EHLO/HELO, AUTH PLAIN and
//! LOGIN accepting anything, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET,
//! NOOP, QUIT), keeps every message it accepts, and can simulate trouble: stop and
//! restart on the same port (an outage), answer `451` to every `MAIL FROM`
//! (a temporary failure), `550` to chosen recipients (a permanent one), or keep
//! a message and hang up before answering it (an ambiguous failure: the client
//! cannot know whether it was delivered).
//!
//! ```no_run
//! # async fn t() {
//! use leerpad_mail::testing::SmtpServer;
//! let server = SmtpServer::start().await;
//! let mailer = leerpad_mail::Mailer::new(&server.transport()).unwrap();
//! // … send …
//! let got = server.wait_for(1, std::time::Duration::from_secs(5)).await;
//! assert_eq!(got[0].subject.as_deref(), Some("Hallo"));
//! # }
//! ```

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use crate::transport::{Security, Transport};

const HOST: &str = "leerpad-test-smtp";
/// Longest command line accepted; the limit in RFC 5321 is 512.
const MAX_LINE: usize = 64 * 1024;

/// A message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as received, dot-unstuffed, with CRLF line ends.
    pub raw: String,
    /// Top-level headers in order: name and value, unfolded, not decoded.
    pub headers: Vec<(String, String)>,
    /// The decoded subject.
    pub subject: Option<String>,
    /// The decoded `text/plain` part (or body).
    pub text: Option<String>,
    /// The decoded `text/html` part.
    pub html: Option<String>,
}

impl ReceivedMessage {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn parse(mail_from: String, rcpt_to: Vec<String>, raw: String) -> ReceivedMessage {
        use mail_parser::{MessageParser, PartType};
        let parsed = MessageParser::default().parse(raw.as_bytes());
        let mut headers = Vec::new();
        let (mut subject, mut text, mut html) = (None, None, None);
        if let Some(m) = &parsed {
            headers = m
                .headers_raw()
                .map(|(n, v)| (n.to_string(), unfold(v)))
                .collect();
            subject = m.subject().map(str::to_string);
            for part in &m.parts {
                match &part.body {
                    PartType::Text(t) if text.is_none() => text = Some(t.to_string()),
                    PartType::Html(h) if html.is_none() => html = Some(h.to_string()),
                    _ => {}
                }
            }
        }
        ReceivedMessage {
            mail_from,
            rcpt_to,
            raw,
            headers,
            subject,
            text,
            html,
        }
    }
}

fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<ReceivedMessage>>,
    arrived: Notify,
    temporary_failure: Mutex<bool>,
    rejected: Mutex<HashSet<String>>,
    credentials: Mutex<Vec<(String, String)>>,
    /// How many more messages to keep and then hang up on without an answer.
    hang_up_after_data: Mutex<usize>,
}

/// A test SMTP server on `127.0.0.1`; stops when dropped.
pub struct SmtpServer {
    shared: Arc<Shared>,
    port: u16,
    running: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    /// Starts on a free port.
    pub async fn start() -> SmtpServer {
        let listener = bind(0).await.expect("bind a port on 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(accept(listener, shared.clone()));
        SmtpServer {
            shared,
            port,
            running: Mutex::new(Some(task)),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// An unencrypted SMTP transport to this server, from `Leerpad <leerpad@example.org>`.
    pub fn transport(&self) -> Transport {
        Transport::Smtp {
            host: Ipv4Addr::LOCALHOST.to_string(),
            port: Some(self.port),
            security: Security::None,
            username: None,
            password: None,
            from: "Leerpad <leerpad@example.org>".into(),
        }
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// Forgets the messages received so far.
    pub fn clear(&self) {
        self.shared.messages.lock().unwrap().clear();
    }

    /// Waits until at least `n` messages have arrived, and returns all of them.
    /// Panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let got = self.messages();
                if got.len() >= n {
                    return got;
                }
                panic!(
                    "expected {n} message(s) within {timeout:?}, received {}",
                    got.len()
                );
            }
        }
    }

    /// Stops listening and drops every open connection: clients now get
    /// "connection refused". Received messages are kept.
    pub async fn stop(&self) {
        let task = self.running.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
            // Let the aborted connection tasks close their sockets.
            tokio::task::yield_now().await;
        }
    }

    /// Listens again on the same port after [`SmtpServer::stop`].
    pub async fn restart(&self) {
        self.stop().await;
        let mut tries = 0;
        let listener = loop {
            match bind(self.port).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        };
        let task = tokio::spawn(accept(listener, self.shared.clone()));
        *self.running.lock().unwrap() = Some(task);
    }

    /// While on, every `MAIL FROM` is answered `451 4.3.0` (try again later).
    pub fn fail_temporarily(&self, on: bool) {
        *self.shared.temporary_failure.lock().unwrap() = on;
    }

    /// `RCPT TO` this address is answered `550 5.1.1` (no such user).
    pub fn reject_recipient(&self, address: &str) {
        self.shared
            .rejected
            .lock()
            .unwrap()
            .insert(address.to_ascii_lowercase());
    }

    /// The next `n` messages are kept (they arrive) but the connection is closed
    /// right after the message's final dot, before the server's answer: the
    /// client sees the connection drop and cannot tell whether it was delivered.
    pub fn hang_up_after_data(&self, n: usize) {
        *self.shared.hang_up_after_data.lock().unwrap() = n;
    }

    /// Usernames and passwords clients authenticated with.
    pub fn credentials(&self) -> Vec<(String, String)> {
        self.shared.credentials.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(task) = self.running.lock().unwrap().take() {
            task.abort();
        }
    }
}

async fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(64)
}

/// Accepts until aborted; aborting drops the `JoinSet`, which aborts every
/// connection.
async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, _)) => {
                let shared = shared.clone();
                connections.spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

#[derive(Default)]
struct Envelope {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut env = Envelope::default();
    write
        .write_all(format!("220 {HOST} ESMTP ready\r\n").as_bytes())
        .await?;
    loop {
        let Some(line) = read_line(&mut read).await? else {
            return Ok(());
        };
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (line.to_ascii_uppercase(), ""),
        };
        let reply: String = match verb.as_str() {
            "EHLO" => {
                env = Envelope::default();
                format!("250-{HOST} greets {arg}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n")
            }
            "HELO" => {
                env = Envelope::default();
                format!("250 {HOST}\r\n")
            }
            "AUTH" => {
                let (mechanism, initial) = match arg.split_once(' ') {
                    Some((m, i)) => (m.to_ascii_uppercase(), Some(i.to_string())),
                    None => (arg.to_ascii_uppercase(), None),
                };
                match mechanism.as_str() {
                    "PLAIN" => {
                        let response = match initial {
                            Some(i) => i,
                            None => {
                                write.write_all(b"334 \r\n").await?;
                                read_line(&mut read).await?.unwrap_or_default()
                            }
                        };
                        let decoded = base64_decode(response.trim()).unwrap_or_default();
                        let mut fields = decoded.split(|b| *b == 0).skip(1);
                        let user = String::from_utf8_lossy(fields.next().unwrap_or_default());
                        let pass = String::from_utf8_lossy(fields.next().unwrap_or_default());
                        shared
                            .credentials
                            .lock()
                            .unwrap()
                            .push((user.into_owned(), pass.into_owned()));
                        "235 2.7.0 Authentication successful\r\n".into()
                    }
                    "LOGIN" => {
                        let user = match initial {
                            Some(i) => i,
                            None => {
                                write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                                read_line(&mut read).await?.unwrap_or_default()
                            }
                        };
                        write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                        let pass = read_line(&mut read).await?.unwrap_or_default();
                        let decode = |s: &str| {
                            String::from_utf8_lossy(&base64_decode(s.trim()).unwrap_or_default())
                                .into_owned()
                        };
                        shared
                            .credentials
                            .lock()
                            .unwrap()
                            .push((decode(&user), decode(&pass)));
                        "235 2.7.0 Authentication successful\r\n".into()
                    }
                    _ => "504 5.5.4 Unrecognized authentication type\r\n".into(),
                }
            }
            "MAIL" => match path_arg(arg, "FROM:") {
                _ if *shared.temporary_failure.lock().unwrap() => {
                    "451 4.3.0 Temporary failure, try again later\r\n".into()
                }
                Some(from) => {
                    env = Envelope {
                        from: Some(from),
                        to: Vec::new(),
                    };
                    "250 2.1.0 OK\r\n".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
            },
            "RCPT" => match path_arg(arg, "TO:") {
                _ if env.from.is_none() => "503 5.5.1 MAIL first\r\n".into(),
                Some(to)
                    if shared
                        .rejected
                        .lock()
                        .unwrap()
                        .contains(&to.to_ascii_lowercase()) =>
                {
                    "550 5.1.1 No such user here\r\n".into()
                }
                Some(to) => {
                    env.to.push(to);
                    "250 2.1.5 OK\r\n".into()
                }
                None => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
            },
            "DATA" => {
                if env.from.is_none() || env.to.is_empty() {
                    "503 5.5.1 RCPT first\r\n".into()
                } else {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let mut raw = String::new();
                    loop {
                        let Some(line) = read_line(&mut read).await? else {
                            return Ok(());
                        };
                        if line == ".\r\n" || line == ".\n" {
                            break;
                        }
                        let line = line.strip_prefix('.').unwrap_or(&line);
                        raw.push_str(line.trim_end_matches(['\r', '\n']));
                        raw.push_str("\r\n");
                    }
                    let env = std::mem::take(&mut env);
                    let message = ReceivedMessage::parse(env.from.unwrap_or_default(), env.to, raw);
                    let n = {
                        let mut messages = shared.messages.lock().unwrap();
                        messages.push(message);
                        messages.len()
                    };
                    shared.arrived.notify_waiters();
                    let hang_up = {
                        let mut left = shared.hang_up_after_data.lock().unwrap();
                        let hang_up = *left > 0;
                        *left = left.saturating_sub(1);
                        hang_up
                    };
                    if hang_up {
                        return Ok(());
                    }
                    format!("250 2.0.0 OK queued as {n}\r\n")
                }
            }
            "RSET" => {
                env = Envelope::default();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "VRFY" => "252 2.5.2 Cannot VRFY user\r\n".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

/// One line with its line end; `None` at the end of the stream.
async fn read_line(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *read)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// `FROM:<a@b>` (with optional parameters after it) → `a@b`.
fn path_arg(arg: &str, prefix: &str) -> Option<String> {
    let rest = arg
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| arg[prefix.len()..].trim_start())?;
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_string())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            acc |= value(*b)? << (18 - 6 * i);
        }
        let n = chunk.len();
        if n < 2 {
            return None;
        }
        out.push((acc >> 16) as u8);
        if n > 2 {
            out.push((acc >> 8) as u8);
        }
        if n > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("AHVzZXIAcGFzcw==").unwrap(), b"\0user\0pass");
        assert_eq!(base64_decode("VXNlcm5hbWU6").unwrap(), b"Username:");
        assert!(base64_decode("*").is_none());
    }

    #[test]
    fn reads_envelope_paths() {
        assert_eq!(
            path_arg("FROM:<a@b.example> BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b.example")
        );
        assert_eq!(path_arg("to: <x@y>", "TO:").as_deref(), Some("x@y"));
        assert_eq!(path_arg("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_arg("FROM:a@b", "FROM:"), None);
    }
}
