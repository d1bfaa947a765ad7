//! A small blocking HTTP/1.1 client for load and fault tests: one kept-alive
//! connection per browser, a cookie jar, gzip like a browser, and a time limit on
//! every answer so a server that hangs shows as an error instead of a stuck test.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// An answer from the server.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body, decompressed when it came gzip-compressed.
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// A success or a redirect: the server did what was asked.
    pub fn ok(&self) -> bool {
        (200..400).contains(&self.status)
    }

    /// The value of the first form field `name` on the page.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        Some(self.body[start..].split('"').next()?.to_string())
    }
}

/// A browser: cookies, and one connection kept alive between requests.
pub struct Browser {
    addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    conn: Option<BufReader<TcpStream>>,
    /// How long to wait for an answer.
    pub timeout: Duration,
    /// Ask for compressed answers, as browsers do.
    pub gzip: bool,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: BTreeMap::new(),
            conn: None,
            timeout: Duration::from_secs(10),
            gzip: true,
        }
    }

    /// The same person (cookies) on another server.
    pub fn at(&self, addr: SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: self.cookies.clone(),
            conn: None,
            timeout: self.timeout,
            gzip: self.gzip,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Response> {
        self.request("GET", path, None)
    }

    /// Posts an urlencoded form.
    pub fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> std::io::Result<Response> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            path,
            Some(("application/x-www-form-urlencoded", body.as_bytes(), None)),
        )
    }

    /// Posts JSON with the CSRF token in `X-CSRF-Token`, as the API wants it.
    pub fn post_json(
        &mut self,
        path: &str,
        json: &serde_json::Value,
        csrf: &str,
    ) -> std::io::Result<Response> {
        let body = json.to_string();
        self.request(
            "POST",
            path,
            Some(("application/json", body.as_bytes(), Some(csrf))),
        )
    }

    /// Sends a request. A GET is sent again on a new connection when a kept-alive
    /// one turns out closed; anything else is not, as browsers do: the server may
    /// have done it before the connection dropped.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8], Option<&str>)>,
    ) -> std::io::Result<Response> {
        let retry = self.conn.is_some() && method == "GET";
        match self.try_request(method, path, body) {
            Err(e) if retry && e.kind() != std::io::ErrorKind::TimedOut => {
                let _ = e;
                self.conn = None;
                self.try_request(method, path, body)
            }
            other => other,
        }
    }

    fn try_request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8], Option<&str>)>,
    ) -> std::io::Result<Response> {
        if self.conn.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, self.timeout)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            self.conn = Some(BufReader::new(s));
        }
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if self.gzip {
            head.push_str("Accept-Encoding: gzip\r\n");
        }
        if !self.cookies.is_empty() {
            let jar = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            head.push_str(&format!("Cookie: {jar}\r\n"));
        }
        let payload: &[u8] = match body {
            Some((kind, bytes, csrf)) => {
                head.push_str(&format!(
                    "Content-Type: {kind}\r\nContent-Length: {}\r\n",
                    bytes.len()
                ));
                if let Some(token) = csrf {
                    head.push_str(&format!("X-CSRF-Token: {token}\r\n"));
                }
                bytes
            }
            None => &[],
        };
        head.push_str("\r\n");
        let conn = self.conn.as_mut().expect("connected");
        let mut out = head.into_bytes();
        out.extend_from_slice(payload);
        conn.get_mut().write_all(&out)?;
        let res = read_response(conn);
        match &res {
            Ok(r) if r.header("connection") == Some("close") => self.conn = None,
            Ok(_) => {}
            Err(_) => self.conn = None,
        }
        let res = res?;
        for (name, value) in &res.headers {
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((k, v)) = pair.split_once('=') {
                    if v.is_empty() || value.contains("Max-Age=0") {
                        self.cookies.remove(k);
                    } else {
                        self.cookies.insert(k.to_string(), v.to_string());
                    }
                }
            }
        }
        Ok(res)
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed",
        ));
    }
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("not an HTTP status line"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (n, v) = l.split_once(':').ok_or_else(|| bad("bad header"))?;
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v): &(String, String)| v.clone())
    };
    let mut raw = Vec::new();
    if let Some(n) = find("content-length") {
        raw = vec![0; n.parse().map_err(|_| bad("bad length"))?];
        r.read_exact(&mut raw)?;
    } else if find("transfer-encoding").as_deref() == Some("chunked") {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim_end(), 16).map_err(|_| bad("bad chunk"))?;
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..size]);
        }
    }
    let body = if find("content-encoding").as_deref() == Some("gzip") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut s)?;
        s
    } else {
        String::from_utf8_lossy(&raw).into_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
