//! One HTTP/1.1 GET over a byte stream: the request, and the response read back with its
//! framing (`Content-Length`, `Transfer-Encoding: chunked`, or the end of the stream).
//!
//! Contract: pure over any `Read`/`Write` (tested with recorded bytes); the response head and
//! each chunk-size line are parsed by `httparse`, never by hand. A body larger than
//! [`MAX_BODY`], a head larger than [`MAX_HEAD`], a malformed head or chunk, and a stream that
//! ends early are errors naming what failed; nothing here panics on any input.

use std::io::{Read, Write};

/// The largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body accepted (a host with thousands of containers lists a few MiB).
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// Headers parsed at most.
const MAX_HEADERS: usize = 64;

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Reading or writing the stream failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The response head does not parse.
    #[error("malformed response head: {0}")]
    Head(httparse::Error),
    /// A chunk-size line does not parse.
    #[error("malformed chunk size line")]
    Chunk,
    /// `Content-Length` is not a number.
    #[error("malformed Content-Length {0:?}")]
    Length(String),
    /// The stream ended before the response did.
    #[error("the response ended early (after {got} bytes)")]
    Truncated {
        /// Bytes read in all.
        got: usize,
    },
    /// The head or the body is larger than allowed.
    #[error("the response is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// A response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// The bytes of `GET path` to a local daemon (`Connection: close`: one request per stream).
pub fn get_request(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: dfw/{}\r\nAccept: application/json\r\n\
         Connection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// Sends `GET path` on `stream` and reads the response.
///
/// # Errors
/// [`HttpError`] naming what failed.
pub fn get<S: Read + Write>(stream: &mut S, path: &str) -> Result<Response, HttpError> {
    stream.write_all(&get_request(path))?;
    stream.flush()?;
    read_response(stream)
}

/// Reads more of `r` into `buf` (at most `limit` bytes in all); false at the end of the
/// stream.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, limit: usize) -> Result<bool, HttpError> {
    if buf.len() >= limit {
        return Err(HttpError::TooLarge { limit });
    }
    let mut chunk = [0u8; 16 * 1024];
    let want = chunk.len().min(limit - buf.len());
    loop {
        match r.read(&mut chunk[..want]) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(true);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// How the body is framed.
enum Framing {
    Length(usize),
    Chunked,
    Close,
}

/// Reads one response from `r` (see the module contract).
///
/// # Errors
/// [`HttpError`] naming what failed.
pub fn read_response(r: &mut impl Read) -> Result<Response, HttpError> {
    let mut buf = Vec::new();
    let (head_len, status, reason, framing) = loop {
        let more = fill(r, &mut buf, MAX_HEAD + MAX_BODY)?;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf).map_err(HttpError::Head)? {
            httparse::Status::Complete(n) => {
                let framing = framing(resp.headers)?;
                let status = resp.code.unwrap_or(0);
                let reason = resp.reason.unwrap_or("").to_string();
                break (n, status, reason, framing);
            }
            httparse::Status::Partial if buf.len() > MAX_HEAD => {
                return Err(HttpError::TooLarge { limit: MAX_HEAD });
            }
            httparse::Status::Partial if !more => {
                return Err(HttpError::Truncated { got: buf.len() });
            }
            httparse::Status::Partial => {}
        }
    };
    let limit = head_len + MAX_BODY;
    let body = match framing {
        Framing::Length(n) => {
            if n > MAX_BODY {
                return Err(HttpError::TooLarge { limit: MAX_BODY });
            }
            while buf.len() < head_len + n {
                if !fill(r, &mut buf, head_len + n)? {
                    return Err(HttpError::Truncated { got: buf.len() });
                }
            }
            buf[head_len..head_len + n].to_vec()
        }
        Framing::Close => {
            while fill(r, &mut buf, limit)? {}
            buf[head_len..].to_vec()
        }
        Framing::Chunked => dechunk(r, buf, head_len, limit)?,
    };
    Ok(Response {
        status,
        reason,
        body,
    })
}

/// The framing the headers announce (chunked wins over a length, as RFC 9112 says).
fn framing(headers: &[httparse::Header<'_>]) -> Result<Framing, HttpError> {
    let mut length = None;
    for h in headers {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("transfer-encoding")
            && value
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("chunked"))
        {
            return Ok(Framing::Chunked);
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .trim()
                .parse::<usize>()
                .map_err(|_| HttpError::Length(value.to_string()))?;
            length = Some(n);
        }
    }
    Ok(length.map_or(Framing::Close, Framing::Length))
}

/// The body of a chunked response whose head ends at `pos` of `buf`.
fn dechunk(
    r: &mut impl Read,
    mut buf: Vec<u8>,
    mut pos: usize,
    limit: usize,
) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let (line, size) = loop {
            match httparse::parse_chunk_size(&buf[pos..]).map_err(|_| HttpError::Chunk)? {
                httparse::Status::Complete((line, size)) => break (line, size),
                httparse::Status::Partial => {
                    if !fill(r, &mut buf, limit)? {
                        return Err(HttpError::Truncated { got: buf.len() });
                    }
                }
            }
        };
        let size = usize::try_from(size).map_err(|_| HttpError::TooLarge { limit })?;
        if size == 0 {
            // The last chunk; trailers, if any, are not needed.
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(HttpError::TooLarge { limit: MAX_BODY });
        }
        let end = pos + line + size + 2; // the data and its CRLF
        while buf.len() < end {
            if !fill(r, &mut buf, limit.max(end))? {
                return Err(HttpError::Truncated { got: buf.len() });
            }
        }
        if &buf[end - 2..end] != b"\r\n" {
            return Err(HttpError::Chunk);
        }
        body.extend_from_slice(&buf[pos + line..end - 2]);
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its bytes `step` at a time (as a socket may).
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(self.data.len()).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read(data: &[u8], step: usize) -> Result<Response, HttpError> {
        read_response(&mut Trickle { data, step })
    }

    #[test]
    fn the_request_line_and_headers() {
        let r = String::from_utf8(get_request("/containers/json")).unwrap();
        assert!(r.starts_with("GET /containers/json HTTP/1.1\r\nHost: docker\r\n"));
        assert!(r.ends_with("Connection: close\r\n\r\n"));
    }

    #[test]
    fn every_framing_at_every_read_size() {
        let length = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n[1,2,3]";
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n3;ext=1\r\n,3]\r\n0\r\n\r\n";
        let close = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[1,2,3]";
        for data in [&length[..], &chunked[..], &close[..]] {
            for step in [1, 2, 3, 7, 64, 100_000] {
                let r = read(data, step).unwrap();
                assert_eq!((r.status, r.body.as_slice()), (200, &b"[1,2,3]"[..]));
                assert_eq!(r.reason, "OK");
            }
        }
        let not_found = read(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}", 5).unwrap();
        assert_eq!(
            (not_found.status, not_found.reason.as_str()),
            (404, "Not Found")
        );
    }

    #[test]
    fn bad_responses_are_errors_never_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        ];
        for data in cases {
            assert!(
                read(data, 3).is_err(),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
        let huge = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(
            read(&huge, 4096),
            Err(HttpError::Head(_) | HttpError::TooLarge { .. })
        ));
    }
}
