//! The contract's version, and the rule for which components a host built on it can run.
//!
//! A host is compiled against one version of `wit/provider.wit` (its `package` line). A
//! component exports the provider interface of the version it was built against. They are
//! compatible when the package is the same and the versions are semver-compatible: the same
//! major version, and for `0.x` versions the same minor version too (`0.2.0` runs `0.2.3`;
//! `0.1.0` and `0.2.0` do not mix, because every `0.x` minor may change the contract). The
//! check runs when a component is loaded, so a mismatch is an error naming both versions
//! instead of a link failure on some later call.

use std::sync::OnceLock;

/// The contract's package name.
pub const PACKAGE: &str = "ai-gateway:provider";

/// The interface every provider component exports.
pub const INTERFACE: &str = "ai-gateway:provider/provider";

/// The contract version this host was built against, from `wit/provider.wit`.
pub fn host_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let wit = include_str!("../../../wit/provider.wit");
        let prefix = format!("package {PACKAGE}@");
        wit.lines()
            .find_map(|line| line.trim().strip_prefix(&prefix))
            .map(|rest| rest.trim_end_matches(';').trim().to_string())
            .unwrap_or_default()
    })
}

/// Whether a component of `component` version can run on a host of `host` version.
pub fn compatible(host: &str, component: &str) -> bool {
    let (Some(h), Some(c)) = (parse(host), parse(component)) else {
        return false;
    };
    h.0 == c.0 && (h.0 != 0 || h.1 == c.1)
}

fn parse(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// Checks the provider interface versions among a component's export names; the error says
/// what the component implements and what this host runs.
pub fn check_exports<'a>(exports: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let host = host_version();
    let prefix = format!("{INTERFACE}@");
    let mut found = Vec::new();
    for name in exports {
        if let Some(version) = name.strip_prefix(&prefix) {
            if compatible(host, version) {
                return Ok(());
            }
            found.push(version.to_string());
        } else if name == INTERFACE {
            found.push("(unversioned)".to_string());
        }
    }
    let wanted = match parse(host) {
        Some((0, minor, _)) => format!("{PACKAGE}@0.{minor}.x"),
        Some((major, ..)) => format!("{PACKAGE}@{major}.x"),
        None => format!("{PACKAGE}@{host}"),
    };
    Err(match found.first() {
        Some(version) => format!(
            "the component implements {PACKAGE}@{version}, but this host runs components of \
             {wanted}; rebuild the component against the host's wit/provider.wit, or run it \
             with a host built for its version"
        ),
        None => format!(
            "the component does not export {INTERFACE}: it is not a provider component (this \
             host runs {wanted})"
        ),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn host_version_comes_from_the_wit() {
        assert!(parse(host_version()).is_some(), "{:?}", host_version());
    }

    #[test]
    fn compatibility_table() {
        let rows = [
            ("0.2.0", "0.2.0", true),
            ("0.2.0", "0.2.7", true),
            ("0.2.3", "0.2.0", true),
            ("0.2.0", "0.1.0", false),
            ("0.2.0", "0.3.0", false),
            ("1.0.0", "1.4.2", true),
            ("1.2.0", "1.0.0", true),
            ("1.0.0", "2.0.0", false),
            ("0.2.0", "0.2", false),
            ("0.2.0", "x.y.z", false),
            ("0.2.0", "0.2.0-rc1", true),
        ];
        for (host, component, want) in rows {
            assert_eq!(compatible(host, component), want, "{host} runs {component}");
        }
    }

    #[test]
    fn mismatches_name_both_versions() {
        let old = ["ai-gateway:provider/types@0.1.0", "ai-gateway:provider/provider@0.1.0"];
        let e = check_exports(old.into_iter()).unwrap_err();
        assert!(e.contains("implements ai-gateway:provider@0.1.0"), "{e}");
        assert!(e.contains(&format!("{PACKAGE}@")), "{e}");
        let e = check_exports(["wasi:cli/run@0.2.0"].into_iter()).unwrap_err();
        assert!(e.contains("not a provider component"), "{e}");
        let current = format!("{INTERFACE}@{}", host_version());
        assert_eq!(check_exports([current.as_str()].into_iter()), Ok(()));
    }
}
