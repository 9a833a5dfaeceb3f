//! The answers the HTTP parser gives before any route runs.
//!
//! hyper refuses a request it cannot parse (a URI over 65,534 bytes, a head
//! larger than its buffer or with more than 100 headers, a NUL or a bare
//! line break in a header) by writing a bodiless `400`, `414` or `431`
//! itself and closing the connection; no middleware sees it. That answer
//! would be the only one without a problem document or an `X-Request-Id`.
//!
//! [`ProblemAcceptor`] wraps the listener's connections so that such an
//! answer is recognised on its way out and replaced by the same answer as a
//! problem document with a request id (and a log line carrying that id). It
//! is recognised by its shape, which no response of the application has:
//! a head that starts a write, declares `content-length: 0` and carries no
//! `x-request-id` (every response that leaves [`crate::app`] has one), with
//! a status hyper uses for parse errors.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use poem::http::StatusCode;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ApiError;
use crate::middleware::REQUEST_ID;

/// A listener whose connections answer parse errors with problem documents.
pub struct ProblemAcceptor<A>(pub A);

impl<A: Acceptor> Acceptor for ProblemAcceptor<A> {
    type Io = ProblemIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        Ok((ProblemIo::new(io), local, remote, scheme))
    }
}

/// A connection whose parser-made answers are rewritten as problem documents.
pub struct ProblemIo<T> {
    inner: T,
    /// The problem response being written in place of hyper's answer: its
    /// bytes, how many are written, and how many bytes of hyper's answer to
    /// report written once it is all out.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ProblemIo<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Write the replacement out; report hyper's answer written when done.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some((bytes, written, reported)) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while *written < bytes.len() {
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *written += n,
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
        let reported = *reported;
        self.replacing = None;
        Poll::Ready(Ok(reported))
    }

    fn start_replacing(&mut self, status: StatusCode, reported: usize) {
        self.replacing = Some((problem_answer(status), 0, reported));
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none() {
            match parser_answer(buf) {
                Some(status) => self.start_replacing(status, buf.len()),
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        self.poll_replacement(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_none() {
            // hyper's answer is a head alone: one non-empty slice.
            let mut filled = bufs.iter().filter(|b| !b.is_empty());
            let answer = match (filled.next(), filled.next()) {
                (Some(head), None) => parser_answer(head).map(|s| (s, head.len())),
                _ => None,
            };
            match answer {
                Some((status, reported)) => self.start_replacing(status, reported),
                None => return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
            }
        }
        self.poll_replacement(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The status of hyper's own parse-error answer, when `buf` is one.
fn parser_answer(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    if !buf.ends_with(b"\r\n\r\n") || buf.len() > 512 {
        return None;
    }
    let status = match rest.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let head = String::from_utf8_lossy(buf).to_ascii_lowercase();
    let bodiless = head.contains("\r\ncontent-length: 0\r\n");
    let from_app = head.contains(&format!("\r\n{REQUEST_ID}:"));
    (bodiless && !from_app).then_some(status)
}

/// The whole response that replaces hyper's answer with `status`.
fn problem_answer(status: StatusCode) -> Vec<u8> {
    let (code, detail) = match status {
        StatusCode::URI_TOO_LONG => (
            "uri_too_long",
            "the URL is longer than the 65,534 bytes the server reads; send long inputs in a request body",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "headers_too_large",
            "the request's headers are more than the server reads (about 400 KB in all, at most 100 headers); send fewer or shorter headers",
        ),
        _ => (
            "malformed_request",
            "the request is not valid HTTP/1.1: a header name or value holds a character HTTP does not allow (a NUL, a bare line break) or the request line is malformed",
        ),
    };
    let id = uuid::Uuid::new_v4().to_string();
    tracing::info!(request_id = %id, http.status = status.as_u16(), code, "request refused by the HTTP parser");
    let body =
        serde_json::to_vec(ApiError::new(status, code, detail).problem()).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n{REQUEST_ID}: {id}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        body.len(),
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_the_parsers_bodiless_answers() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sun, 06 Dec 2026 04:00:00 GMT\r\n\r\n";
        assert_eq!(
            parser_answer(hyper),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: abc\r\n\r\n";
        assert_eq!(parser_answer(app), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n";
        assert_eq!(parser_answer(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parser_answer(ok), None);
        let partial = b"HTTP/1.1 414 URI Too Long\r\ncontent-len";
        assert_eq!(parser_answer(partial), None);
    }

    #[test]
    fn the_replacement_is_a_problem_document_with_a_request_id() {
        let answer = String::from_utf8(problem_answer(StatusCode::URI_TOO_LONG)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(head.contains("\r\nx-request-id: "));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "uri_too_long");
        assert_eq!(problem["status"], 414);
    }
}
