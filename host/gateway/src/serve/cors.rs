//! CORS, for browser clients (web apps with the OpenAI or Anthropic SDK, playgrounds).
//!
//! Off by default: without `--cors-origin` no CORS header is sent and a preflight gets the
//! route's usual 405, so a web page on another origin cannot spend the gateway's AWS
//! account through a visitor's browser. Each `--cors-origin` allows one origin
//! (`https://app.example.com`), or `*` any origin. Preflights are answered before
//! authentication (browsers send no credentials with them); the request that follows still
//! needs its key.

use http::HeaderMap;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderName, ORIGIN, VARY,
};

/// Response headers a browser script may read: the request IDs and the retry hints.
const EXPOSED: &str =
    "x-request-id, request-id, x-upstream-request-id, retry-after, retry-after-ms, x-should-retry";
/// Request headers allowed when a preflight names none: what the OpenAI and Anthropic SDKs
/// send.
const DEFAULT_ALLOWED_HEADERS: &str = "authorization, content-type, x-api-key, \
     anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access";
/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The allowed origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
    any: bool,
}

/// Checks one `--cors-origin` value: `*`, or `scheme://host[:port]` with no path.
pub fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    if value == "*" {
        return Ok(value.to_string());
    }
    let valid = value.split_once("://").is_some_and(|(scheme, host)| {
        matches!(scheme, "http" | "https")
            && !host.is_empty()
            && !host.contains(['/', '?', '#', ' ', '@'])
    });
    if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{value}` is not an origin: use scheme://host[:port] (e.g. https://app.example.com) \
             or `*`"
        ))
    }
}

impl Cors {
    /// Allows these origins (as [`parse_origin`] writes them; `*` allows any).
    pub fn new<S: AsRef<str>>(origins: &[S]) -> Cors {
        let origins: Vec<String> = origins
            .iter()
            .map(|o| o.as_ref().trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect();
        let any = origins.iter().any(|o| o == "*");
        Cors { origins, any }
    }

    /// Whether any origin is allowed.
    pub fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The request's `Origin` when it is allowed.
    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        let origin = headers.get(ORIGIN)?.to_str().ok()?;
        (self.any || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))).then_some(origin)
    }

    /// Whether a request is a CORS preflight this gateway answers.
    pub fn is_preflight(&self, method: &http::Method, headers: &HeaderMap) -> bool {
        self.enabled()
            && method == http::Method::OPTIONS
            && headers.contains_key(ORIGIN)
            && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// The preflight answer's headers, or `None` when the origin is not allowed. `methods`
    /// are the route's.
    pub fn preflight(
        &self,
        headers: &HeaderMap,
        methods: &str,
    ) -> Option<Vec<(HeaderName, String)>> {
        let origin = self.allowed(headers)?;
        let requested = headers
            .get(ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(DEFAULT_ALLOWED_HEADERS);
        let mut out = self.origin_headers(origin);
        out.push((ACCESS_CONTROL_ALLOW_METHODS, format!("{methods}, OPTIONS")));
        // Echoed: every request still needs its key, so no header needs hiding.
        out.push((ACCESS_CONTROL_ALLOW_HEADERS, requested.to_string()));
        out.push((ACCESS_CONTROL_MAX_AGE, MAX_AGE.to_string()));
        out.push((
            VARY,
            "origin, access-control-request-method, access-control-request-headers".to_string(),
        ));
        Some(out)
    }

    /// The headers for an ordinary answer to a request from an allowed origin (none
    /// otherwise: the browser then hides the answer from the page).
    pub fn response_headers(&self, headers: &HeaderMap) -> Vec<(HeaderName, String)> {
        let Some(origin) = self.allowed(headers) else { return Vec::new() };
        let mut out = self.origin_headers(origin);
        out.push((ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED.to_string()));
        out.push((VARY, "origin".to_string()));
        out
    }

    fn origin_headers(&self, origin: &str) -> Vec<(HeaderName, String)> {
        let allow = if self.any { "*" } else { origin };
        vec![(ACCESS_CONTROL_ALLOW_ORIGIN, allow.to_string())]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn get<'a>(headers: &'a [(HeaderName, String)], name: &HeaderName) -> Option<&'a str> {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn origins_are_checked_at_start() {
        assert_eq!(parse_origin("https://App.example.com/").unwrap(), "https://app.example.com");
        assert_eq!(parse_origin("http://localhost:5173").unwrap(), "http://localhost:5173");
        assert_eq!(parse_origin("*").unwrap(), "*");
        for bad in ["app.example.com", "ftp://x", "https://x/path", "https://", ""] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn off_by_default() {
        let cors = Cors::default();
        let h =
            headers(&[("origin", "https://a.example"), ("access-control-request-method", "POST")]);
        assert!(!cors.enabled());
        assert!(!cors.is_preflight(&http::Method::OPTIONS, &h));
        assert!(cors.response_headers(&h).is_empty());
    }

    #[test]
    fn allowed_origins_get_preflight_and_response_headers() {
        let cors = Cors::new(&["https://a.example"]);
        let h = headers(&[
            ("origin", "https://a.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization, content-type, x-stainless-os"),
        ]);
        assert!(cors.is_preflight(&http::Method::OPTIONS, &h));
        assert!(!cors.is_preflight(&http::Method::POST, &h));
        let pre = cors.preflight(&h, "POST").unwrap();
        assert_eq!(get(&pre, &ACCESS_CONTROL_ALLOW_ORIGIN), Some("https://a.example"));
        assert_eq!(get(&pre, &ACCESS_CONTROL_ALLOW_METHODS), Some("POST, OPTIONS"));
        assert_eq!(
            get(&pre, &ACCESS_CONTROL_ALLOW_HEADERS),
            Some("authorization, content-type, x-stainless-os")
        );
        let resp = cors.response_headers(&h);
        assert_eq!(get(&resp, &ACCESS_CONTROL_ALLOW_ORIGIN), Some("https://a.example"));
        assert!(get(&resp, &ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().contains("x-request-id"));

        let other = headers(&[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
        ]);
        assert!(cors.preflight(&other, "POST").is_none());
        assert!(cors.response_headers(&other).is_empty());

        let any = Cors::new(&["*"]);
        assert_eq!(get(&any.response_headers(&other), &ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
        let pre = any.preflight(&other, "GET").unwrap();
        assert!(get(&pre, &ACCESS_CONTROL_ALLOW_HEADERS).unwrap().contains("x-api-key"));
    }
}
