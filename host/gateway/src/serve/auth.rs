//! Client API keys: who may call the gateway, and when a key is mandatory.
//!
//! Keys are compared as SHA-256 digests with a constant-time equality, so neither the content
//! nor the length of a configured key leaks through response timing.

use std::net::SocketAddr;

use sha2::{Digest, Sha256};

/// The client keys the gateway accepts. Empty means no authentication.
#[derive(Clone, Default)]
pub struct ClientKeys {
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientKeys(<{} redacted>)", self.digests.len())
    }
}

impl ClientKeys {
    /// Accepts these keys (empty strings are ignored).
    pub fn new<S: AsRef<str>>(keys: &[S]) -> ClientKeys {
        let digests =
            keys.iter().map(AsRef::as_ref).filter(|k| !k.is_empty()).map(digest).collect();
        ClientKeys { digests }
    }

    /// Whether any key is configured.
    pub fn required(&self) -> bool {
        !self.digests.is_empty()
    }

    /// Whether a request with these headers may pass: `Authorization: Bearer <key>` (what the
    /// OpenAI clients send) or `x-api-key: <key>`.
    pub fn allows(&self, headers: &http::HeaderMap) -> bool {
        if !self.required() {
            return true;
        }
        let presented = bearer(headers)
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim));
        let Some(presented) = presented.filter(|k| !k.is_empty()) else { return false };
        let presented = digest(presented);
        // Check every key, so the time taken does not say which one matched.
        self.digests.iter().fold(false, |found, key| constant_time_eq(key, &presented) | found)
    }
}

fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Equality whose running time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Refuses to listen beyond loopback without a client key: anyone who can reach the port
/// would otherwise spend the operator's AWS account.
pub fn check_exposure(listen: SocketAddr, keys: &ClientKeys) -> Result<(), String> {
    if listen.ip().is_loopback() || keys.required() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {listen} without a client API key: that address is reachable from \
         other machines, and anyone who can connect would be able to spend this gateway's AWS \
         credentials. Set a key with --api-key or BEDROCK_GATEWAY_API_KEY (clients send it as \
         `Authorization: Bearer <key>`), or listen on a loopback address such as 127.0.0.1:8080."
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn keys_are_checked() {
        let keys = ClientKeys::new(&["sk-one", "sk-two"]);
        assert!(keys.allows(&headers(&[("authorization", "Bearer sk-one")])));
        assert!(keys.allows(&headers(&[("authorization", "bearer  sk-two ")])));
        assert!(keys.allows(&headers(&[("x-api-key", "sk-two")])));
        for bad in [
            &[][..],
            &[("authorization", "Bearer sk-three")],
            &[("authorization", "Bearer ")],
            &[("authorization", "Basic sk-one")],
            &[("authorization", "sk-one")],
            &[("authorization", "Bearer sk-on")],
            &[("x-api-key", "")],
        ] {
            assert!(!keys.allows(&headers(bad)), "{bad:?}");
        }
        assert!(ClientKeys::new::<&str>(&[]).allows(&headers(&[])));
        assert!(!ClientKeys::new(&[""]).required());
    }

    #[test]
    fn debug_hides_the_keys() {
        let text = format!("{:?}", ClientKeys::new(&["sk-secret"]));
        assert!(!text.contains("sk-secret") && text.contains("1 redacted"), "{text}");
    }

    #[test]
    fn constant_time_equality() {
        assert!(constant_time_eq(&[7; 32], &[7; 32]));
        let mut other = [7; 32];
        other[31] = 8;
        assert!(!constant_time_eq(&[7; 32], &other));
    }

    #[test]
    fn exposure_needs_a_key() {
        let none = ClientKeys::default();
        assert!(check_exposure("127.0.0.1:8080".parse().unwrap(), &none).is_ok());
        assert!(check_exposure("[::1]:8080".parse().unwrap(), &none).is_ok());
        let e = check_exposure("0.0.0.0:8080".parse().unwrap(), &none).unwrap_err();
        assert!(e.contains("without a client API key") && e.contains("--api-key"), "{e}");
        assert!(check_exposure("192.168.1.5:80".parse().unwrap(), &none).is_err());
        assert!(check_exposure("0.0.0.0:8080".parse().unwrap(), &ClientKeys::new(&["k"])).is_ok());
    }
}
