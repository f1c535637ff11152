//! Makes upstream error text safe and short enough to hand to an operator.
//!
//! AWS error text can carry what must not leave the provider: the canonical request of a failed
//! signature (which lists `x-amz-security-token:<token>`), presigned-URL credentials, and the
//! internal `:http://internal.amazon.com/coral/…` namespace that confuses readers.

/// Longest message kept.
const MAX_CHARS: usize = 1000;

const CANONICAL_MARKER: &str = "the canonical string for this request should have been";
const CANONICAL_NOTE: &str =
    "(AWS also returned the canonical request and string-to-sign it expected; omitted here.)";
const REDACTED: &str = "[redacted]";

/// Cleans one upstream text: drops the canonical string, redacts credentials and tokens,
/// strips internal namespaces, folds it onto one line and caps its length.
pub(super) fn sanitize(text: &str) -> String {
    let mut s = text.to_string();
    if let Some(at) = s.to_ascii_lowercase().find(CANONICAL_MARKER) {
        s.truncate(at);
        let kept = s.trim_end().to_string();
        s = if kept.is_empty() {
            CANONICAL_NOTE.to_string()
        } else {
            format!("{kept} {CANONICAL_NOTE}")
        };
    }
    s = remove_internal_namespaces(&s);
    // Tokens and credentials are base64 / URL-safe text: they end at whitespace or a delimiter.
    let word_end = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | '&' | ';');
    s = redact_values(&s, "x-amz-security-token:", word_end);
    s = redact_values(&s, "x-amz-security-token=", word_end);
    s = redact_values(&s, "credential=", word_end);
    s = redact_values(&s, "bearer ", word_end);
    s = redact_values(&s, "bedrock-api-key-", word_end);
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() > MAX_CHARS {
        let mut cut: String = trimmed.chars().take(MAX_CHARS).collect();
        cut.push('…');
        cut
    } else {
        trimmed.to_string()
    }
}

/// Replaces the value after each (ASCII, case-insensitive) `key` with `[redacted]`.
/// Leading spaces after the key are kept; the value runs until `is_end`.
fn redact_values(text: &str, key: &str, is_end: impl Fn(char) -> bool) -> String {
    // ASCII lower-casing keeps byte offsets, so indices found in `lower` are valid in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(key) {
        let mut start = pos + found + key.len();
        out.push_str(&text[pos..start]);
        let spaces = text[start..].len() - text[start..].trim_start_matches(' ').len();
        out.push_str(&text[start..start + spaces]);
        start += spaces;
        let rest = &text[start..];
        let end = rest.char_indices().find(|&(_, c)| is_end(c)).map_or(rest.len(), |(i, _)| i);
        if end > 0 {
            out.push_str(REDACTED);
        }
        pos = start + end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Drops `:http://internal…` suffixes (as in
/// `AccessDeniedException:http://internal.amazon.com/coral/…`) and `http://internal…` URLs
/// without the colon (as in a raw body that echoes a mangled `x-amzn-errortype` header).
fn remove_internal_namespaces(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find("http://internal") {
        let mut start = pos + found;
        // The colon joining the namespace to an exception name goes with it.
        if text[pos..start].ends_with(':') {
            start -= 1;
        }
        out.push_str(&text[pos..start]);
        let rest = &text[start..];
        let end = rest
            .char_indices()
            .find(|&(_, c)| c.is_whitespace() || c == '"' || c == '\'')
            .map_or(rest.len(), |(i, _)| i);
        pos = start + end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_canonical_string_and_keeps_a_note() {
        let msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/x/converse\n\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-security-token:SECRETTOKEN\n'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n...'\n";
        let s = sanitize(msg);
        assert!(!s.contains("SECRETTOKEN"));
        assert!(!s.contains("String-to-Sign"));
        assert!(s.starts_with("The request signature we calculated does not match"));
        assert!(s.ends_with(CANONICAL_NOTE), "{s}");
    }

    #[test]
    fn redacts_tokens_anywhere() {
        let s = sanitize("x-amz-security-token:SECRETTOKEN\nx-amz-date:20250101T000000Z");
        assert_eq!(s, "x-amz-security-token:[redacted] x-amz-date:20250101T000000Z");
        let s = sanitize("X-Amz-Security-Token: SECRET2 more");
        assert_eq!(s, "X-Amz-Security-Token: [redacted] more");
        let s = sanitize("Authorization: Bearer ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl was refused");
        assert_eq!(s, "Authorization: Bearer [redacted] was refused");
        let s = sanitize(
            "Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host",
        );
        assert_eq!(s, "Credential=[redacted], SignedHeaders=host");
        let s = sanitize("url ?X-Amz-Security-Token=SECRET3&X-Amz-Date=1");
        assert_eq!(s, "url ?X-Amz-Security-Token=[redacted]&X-Amz-Date=1");
        let s = sanitize("key bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t is bad");
        assert_eq!(s, "key bedrock-api-key-[redacted] is bad");
    }

    #[test]
    fn strips_internal_namespace() {
        let s = sanitize(
            "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/ denied",
        );
        assert_eq!(s, "AccessDeniedException denied");
    }

    #[test]
    fn strips_internal_namespace_without_its_colon() {
        // Found by the error_mapper fuzz target: a non-JSON body echoing a mangled header.
        let s =
            sanitize("x-amzn-errorhttp://internal.amazon.com/coral/com.amazon.bedrock/ {\"m\":1}");
        assert_eq!(s, "x-amzn-error {\"m\":1}");
        let s = sanitize("see HTTP://INTERNAL.amazon.com/x, then http://internal");
        assert_eq!(s, "see  then");
    }

    #[test]
    fn caps_length() {
        let s = sanitize(&"é".repeat(5000));
        assert_eq!(s.chars().count(), MAX_CHARS + 1);
    }
}
