//! The HTTP side of a pull: one host (the source's), no redirects, timeouts, retries with
//! back-off, and bounded response sizes. Everything a source sends is a stranger's input.

use crate::PullError;
use std::cell::Cell;
use std::time::Duration;

/// Bounds of one source's requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Whole request, connect to last byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Further attempts after a failed one (network errors, 5xx, 429, broken bodies).
    pub retries: u32,
    /// The first back-off; doubled per further attempt.
    pub backoff: Duration,
    /// Largest body of a metadata answer.
    pub max_metadata_bytes: u64,
    /// Largest body of a data answer.
    pub max_data_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(250),
            max_metadata_bytes: 16 << 20,
            max_data_bytes: 512 << 20,
        }
    }
}

pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    key: Option<String>,
    limits: Limits,
    accept: &'static str,
    pub bytes: Cell<u64>,
    pub requests: Cell<u64>,
}

enum Attempt {
    /// Worth trying again.
    Transient(String),
    /// Trying again gives the same answer.
    Final(PullError),
}

impl Client {
    pub fn new(base: &str, key: Option<String>, limits: Limits) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(limits.timeout))
            .timeout_connect(Some(limits.connect_timeout))
            // Only the declared host: a redirect elsewhere is an error, not followed.
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            base: base.trim_end_matches('/').to_string(),
            key,
            limits,
            accept: "application/json",
            bytes: Cell::new(0),
            requests: Cell::new(0),
        }
    }

    /// The `Accept` header of every request (default `application/json`).
    pub fn accept(mut self, accept: &'static str) -> Client {
        self.accept = accept;
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs a JSON answer at `path` (below the source's base URL), retrying transient failures.
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        data: bool,
    ) -> Result<T, PullError> {
        self.fetch(path, data, |b| {
            serde_json::from_slice(b).map_err(|e| format!("not the JSON expected: {e}"))
        })
    }

    /// GETs an answer at `path` and reads it with `parse`; a body that does not parse is
    /// fetched again (a body cut short is the usual cause), up to the retries.
    pub fn fetch<T>(
        &self,
        path: &str,
        data: bool,
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, PullError> {
        let limit = if data {
            self.limits.max_data_bytes
        } else {
            self.limits.max_metadata_bytes
        };
        let url = self.url(path);
        let mut wait = self.limits.backoff;
        let mut attempt = 0;
        loop {
            match self.once(&url, limit) {
                Ok(body) => match parse(&body) {
                    Ok(v) => return Ok(v),
                    Err(_) if attempt < self.limits.retries => {}
                    Err(why) => return Err(PullError::Invalid { url, why }),
                },
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Transient(why)) if attempt >= self.limits.retries => {
                    return Err(PullError::Network {
                        url,
                        why,
                        attempts: attempt + 1,
                    });
                }
                Err(Attempt::Transient(_)) => {}
            }
            attempt += 1;
            std::thread::sleep(wait);
            wait *= 2;
        }
    }

    fn once(&self, url: &str, limit: u64) -> Result<Vec<u8>, Attempt> {
        self.requests.set(self.requests.get() + 1);
        let mut req = self.agent.get(url).header("accept", self.accept);
        if let Some(k) = &self.key {
            req = req.header("apikey", k);
        }
        let mut resp = req.call().map_err(|e| Attempt::Transient(e.to_string()))?;
        let status = resp.status().as_u16();
        if status == 429 || status >= 500 {
            return Err(Attempt::Transient(format!("the source answered {status}")));
        }
        if (300..400).contains(&status) {
            return Err(Attempt::Final(PullError::Invalid {
                url: url.to_string(),
                why: format!("the source redirects ({status}); only the declared address is used"),
            }));
        }
        if status == 401 || status == 403 {
            return Err(Attempt::Final(PullError::Refused {
                url: url.to_string(),
                why: format!("the source refused the key ({status}); check key_env or key_file"),
            }));
        }
        if status != 200 {
            return Err(Attempt::Final(PullError::Invalid {
                url: url.to_string(),
                why: format!("the source answered {status}"),
            }));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Attempt::Final(PullError::Invalid {
                    url: url.to_string(),
                    why: format!("the answer is larger than {limit} bytes"),
                }),
                e => Attempt::Transient(e.to_string()),
            })?;
        self.bytes.set(self.bytes.get() + body.len() as u64);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-answer-per-connection server that sends `answer` to every request.
    fn serve(answer: Vec<u8>) -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(mut c) = c else { continue };
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                let _ = c.write_all(&answer);
            }
        });
        url
    }

    fn client(url: &str) -> Client {
        Client::new(
            url,
            None,
            Limits {
                retries: 1,
                backoff: Duration::from_millis(1),
                max_metadata_bytes: 1000,
                ..Limits::default()
            },
        )
    }

    #[test]
    fn redirects_are_not_followed() {
        let url = serve(
            b"HTTP/1.1 302 Found\r\nlocation: http://example.org/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                .to_vec(),
        );
        let c = client(&url);
        let e = c
            .json::<serde_json::Value>("/api/v1/hashes", false)
            .unwrap_err();
        assert!(e.to_string().contains("redirects"), "{e}");
        assert_eq!(c.requests.get(), 1, "a redirect is final, not retried");
    }

    #[test]
    fn answers_are_bounded() {
        let body = format!("[{}0]", "0,".repeat(2000));
        let url = serve(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        );
        let e = client(&url)
            .json::<serde_json::Value>("/x", false)
            .unwrap_err();
        assert!(e.to_string().contains("larger than 1000 bytes"), "{e}");
    }

    #[test]
    fn a_body_cut_short_is_retried_then_fails() {
        let url = serve(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"indicators\":["
                .to_vec(),
        );
        let c = client(&url);
        let e = c.json::<serde_json::Value>("/x", false).unwrap_err();
        assert!(matches!(e, PullError::Network { attempts: 2, .. }), "{e}");
        assert_eq!(c.requests.get(), 2);
    }
}
