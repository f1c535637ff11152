//! Explains a signature mismatch by comparing what we signed with what AWS computed.
//!
//! When a signature does not verify, AWS's 403 body includes "The Canonical String for this
//! request should have been '…'". Lining it up with the canonical request the component signed
//! names the first difference (method, path encoding, a header, the payload), which tells an
//! operator whether the secret is wrong or something between us and AWS rewrote the request.

const MARKER: &str = "The Canonical String for this request should have been";

/// The first difference between `ours` (the canonical request we signed) and the one quoted in
/// AWS's error `message`, as a sentence; `None` when the message quotes no canonical string.
/// Session-token values never appear in the result.
pub fn signature_mismatch(message: &str, ours: &str) -> Option<String> {
    let theirs = quoted_canonical(message)?;
    let ours_lines: Vec<&str> = ours.split('\n').collect();
    let theirs_lines: Vec<&str> = theirs.split('\n').collect();
    let header_end =
        |lines: &[&str]| lines.iter().skip(3).position(|l| l.is_empty()).map(|p| p + 3);
    let (Some(our_end), Some(their_end)) = (header_end(&ours_lines), header_end(&theirs_lines))
    else {
        return Some("AWS quoted a canonical request that could not be compared.".into());
    };

    if ours_lines.first() != theirs_lines.first() {
        return Some(differ("the HTTP method", ours_lines.first(), theirs_lines.first()));
    }
    if ours_lines.get(1) != theirs_lines.get(1) {
        return Some(format!(
            "{} Something between the provider and AWS re-encoded the path (a proxy or gateway \
             that decodes `%3A` or encodes `%` again); make it forward the path unchanged.",
            differ("the path", ours_lines.get(1), theirs_lines.get(1))
        ));
    }
    if ours_lines.get(2) != theirs_lines.get(2) {
        return Some(differ("the query string", ours_lines.get(2), theirs_lines.get(2)));
    }
    let our_headers = &ours_lines[3..our_end];
    let their_headers = &theirs_lines[3..their_end];
    for (o, t) in our_headers.iter().zip(their_headers.iter()) {
        if o != t {
            let name = o.split(':').next().unwrap_or_default();
            return Some(format!(
                "{} A proxy or gateway changed a signed header; make it forward `{name}` unchanged.",
                differ(&format!("the signed header `{name}`"), Some(o), Some(t))
            ));
        }
    }
    if our_headers.len() != their_headers.len() {
        return Some(format!(
            "AWS saw {} signed headers where {} were signed: a proxy added or removed one.",
            their_headers.len(),
            our_headers.len()
        ));
    }
    if ours_lines.last() != theirs_lines.last() {
        return Some(
            "The payload hash differs: the request body was changed in transit (a proxy that \
             re-serialises or re-compresses bodies); make it forward the body byte for byte."
                .into(),
        );
    }
    Some(
        "The canonical request AWS computed matches the one signed, so the signing key is wrong: \
         the secret access key does not belong to this access key ID (or has extra characters)."
            .into(),
    )
}

fn quoted_canonical(message: &str) -> Option<&str> {
    let start = message.find(MARKER)? + MARKER.len();
    let rest = message[start..].trim_start_matches('\n');
    let rest = rest.strip_prefix('\'')?;
    let end = rest.find("'\n").or_else(|| rest.rfind('\''))?;
    Some(&rest[..end])
}

fn differ(what: &str, ours: Option<&&str>, theirs: Option<&&str>) -> String {
    format!(
        "The first difference is {what}: the provider signed `{}`, AWS computed `{}`.",
        redact(ours.copied().unwrap_or_default()),
        redact(theirs.copied().unwrap_or_default())
    )
}

/// Hides the value of a session-token header line.
fn redact(line: &str) -> String {
    match line.split_once(':') {
        Some((name, _)) if name.eq_ignore_ascii_case("x-amz-security-token") => {
            format!("{name}:***")
        }
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "POST\n/model/anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250115T120000Z\nx-amz-security-token:SECRETTOKEN\n\ncontent-type;host;x-amz-date;x-amz-security-token\na70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1";

    fn aws_message(canonical: &str) -> String {
        format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n{MARKER}\n'{canonical}'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n...'\n"
        )
    }

    #[test]
    fn no_canonical_string_means_no_diagnosis() {
        assert_eq!(
            signature_mismatch("The request signature we calculated does not match", OURS),
            None
        );
    }

    #[test]
    fn identical_canonical_requests_blame_the_secret() {
        let d = signature_mismatch(&aws_message(OURS), OURS).unwrap_or_default();
        assert!(d.contains("secret access key"), "{d}");
    }

    #[test]
    fn a_re_encoded_path_is_named() {
        let theirs = OURS.replace("%253A0", "%25253A0");
        let d = signature_mismatch(&aws_message(&theirs), OURS).unwrap_or_default();
        assert!(d.contains("the path"), "{d}");
        assert!(d.contains("%25253A0") && d.contains("re-encoded"), "{d}");
    }

    #[test]
    fn a_rewritten_header_is_named_and_tokens_stay_hidden() {
        let theirs = OURS.replace(
            "content-type:application/json",
            "content-type:application/json; charset=utf-8",
        );
        let d = signature_mismatch(&aws_message(&theirs), OURS).unwrap_or_default();
        assert!(d.contains("`content-type`") && d.contains("charset=utf-8"), "{d}");

        let theirs = OURS.replace("SECRETTOKEN", "OTHERTOKEN");
        let d = signature_mismatch(&aws_message(&theirs), OURS).unwrap_or_default();
        assert!(d.contains("x-amz-security-token"), "{d}");
        assert!(!d.contains("SECRETTOKEN") && !d.contains("OTHERTOKEN"), "{d}");
    }

    #[test]
    fn a_changed_body_and_the_method_are_named() {
        let theirs = OURS.replace("a70104911e71", "0000000000aa");
        let d = signature_mismatch(&aws_message(&theirs), OURS).unwrap_or_default();
        assert!(d.contains("payload hash"), "{d}");
        let theirs = OURS.replacen("POST", "GET", 1);
        let d = signature_mismatch(&aws_message(&theirs), OURS).unwrap_or_default();
        assert!(d.contains("HTTP method"), "{d}");
    }

    #[test]
    fn garbage_after_the_marker_does_not_panic() {
        for m in [MARKER.to_string(), format!("{MARKER}\n'"), format!("{MARKER}\n'a\nb'")] {
            let _ = signature_mismatch(&m, OURS);
        }
    }
}
