//! AWS regions: which partition a region belongs to, its DNS suffix, the Bedrock host names,
//! and the geography prefix of its cross-region inference profiles.
//!
//! The partition table follows botocore's `partitions.json` (spec §1.2). The regexes there are
//! matched by hand: region names are short and the shapes are fixed, so a regex engine in the
//! component would cost more than it saves.

use std::fmt;

/// The longest region name accepted, in bytes (the manifest's `maxLength`). Real names are at
/// most 14 (`ap-southeast-7`); the cap keeps a hostile value out of host names and messages.
pub const MAX_REGION_LEN: usize = 32;

/// An AWS partition: a group of regions sharing a DNS suffix and an ARN prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// The commercial regions (`us-east-1`, `eu-west-1`, ...).
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// China.
    AwsCn,
    /// The AWS European Sovereign Cloud.
    AwsEusc,
    /// US ISO (C2S).
    AwsIso,
    /// US ISOB (SC2S).
    AwsIsoB,
    /// US ISOF.
    AwsIsoF,
}

impl Partition {
    /// Every partition, in the order they are tried.
    pub const ALL: [Partition; 7] = [
        Self::Aws,
        Self::AwsUsGov,
        Self::AwsCn,
        Self::AwsEusc,
        Self::AwsIso,
        Self::AwsIsoB,
        Self::AwsIsoF,
    ];

    /// The DNS suffix of its service endpoints, e.g. `amazonaws.com`.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
            Self::AwsEusc => "amazonaws.eu",
            Self::AwsIso => "c2s.ic.gov",
            Self::AwsIsoB => "sc2s.sgov.gov",
            Self::AwsIsoF => "csp.hci.ic.gov",
        }
    }

    /// The partition field of its ARNs, e.g. `aws` or `aws-us-gov`.
    pub fn arn_name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsCn => "aws-cn",
            Self::AwsEusc => "aws-eusc",
            Self::AwsIso => "aws-iso",
            Self::AwsIsoB => "aws-iso-b",
            Self::AwsIsoF => "aws-iso-f",
        }
    }

    /// The partition whose ARN name is `name`.
    pub fn from_arn_name(name: &str) -> Option<Partition> {
        Self::ALL.into_iter().find(|p| p.arn_name() == name)
    }

    /// Whether `region` has this partition's region shape.
    pub fn matches(self, region: &str) -> bool {
        let parts: Vec<&str> = region.split('-').collect();
        match (self, parts.as_slice()) {
            // ^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$
            (Self::Aws, [geo, name, num]) => {
                ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"].contains(geo)
                    && is_word(name)
                    && is_digits(num)
            }
            // ^us-gov-\w+-\d+$
            (Self::AwsUsGov, ["us", "gov", name, num]) => is_word(name) && is_digits(num),
            // ^cn-\w+-\d+$
            (Self::AwsCn, ["cn", name, num]) => is_word(name) && is_digits(num),
            // ^eusc-(de)-\w+-\d+$
            (Self::AwsEusc, ["eusc", "de", name, num]) => is_word(name) && is_digits(num),
            // ^us-iso-\w+-\d+$, ^us-isob-\w+-\d+$, ^us-isof-\w+-\d+$
            (Self::AwsIso, ["us", "iso", name, num])
            | (Self::AwsIsoB, ["us", "isob", name, num])
            | (Self::AwsIsoF, ["us", "isof", name, num]) => is_word(name) && is_digits(num),
            _ => false,
        }
    }

    /// `<service>.<region>.<dns suffix>`.
    pub fn host(self, service: &str, region: &str) -> String {
        format!("{service}.{region}.{}", self.dns_suffix())
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.arn_name())
    }
}

/// Regex `\w+` (ASCII): letters, digits, underscore; at least one.
fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Regex `\d+`.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The partition `region` belongs to, or `None` when it has no known region shape.
///
/// This checks the shape only (`xx-name-1`), like the SDKs do: a well-formed region that does not
/// exist, or where Bedrock is not offered, still resolves.
pub fn partition_of(region: &str) -> Option<Partition> {
    Partition::ALL.into_iter().find(|p| p.matches(region))
}

/// The geography prefix of the system-defined cross-region inference profiles to use from
/// `region` (spec §13), e.g. `us` for `us-east-1`, so `us.anthropic.claude-…` is the profile ID.
///
/// The most specific geography wins:
/// - `ap-southeast-2`, `ap-southeast-4` -> `au`; `ap-northeast-1`, `ap-northeast-3` -> `jp`.
///   These narrower profiles exist for fewer models than `apac` (which also covers those
///   regions); when a model has no `au.`/`jp.` profile, `apac.` is the alternative.
/// - `us-gov-*` -> `us-gov`. UNCERTAIN: one third-party tool uses `ug.` instead; the AWS CDK and
///   the Bedrock console use `us-gov.`.
/// - other commercial `us-*` -> `us`; `eu-*` -> `eu`.
/// - other `ap-*` and `me-central-1` -> `apac` (me-central-1 is listed as an APAC member).
/// - `ca-*` -> `ca`. UNCERTAIN: seen in third-party configurations only.
/// - everything else (`sa-*`, `af-*`, `il-*`, `mx-*`, other `me-*`, China, ISO, EUSC) -> `None`;
///   `global.` profiles may still work there.
pub fn geo_prefix(region: &str) -> Option<&'static str> {
    let partition = partition_of(region)?;
    match partition {
        Partition::AwsUsGov => return Some("us-gov"),
        Partition::Aws => {}
        _ => return None,
    }
    match region {
        "ap-southeast-2" | "ap-southeast-4" => Some("au"),
        "ap-northeast-1" | "ap-northeast-3" => Some("jp"),
        "me-central-1" => Some("apac"),
        _ if region.starts_with("us-") => Some("us"),
        _ if region.starts_with("eu-") => Some("eu"),
        _ if region.starts_with("ap-") => Some("apac"),
        _ if region.starts_with("ca-") => Some("ca"),
        _ => None,
    }
}

/// The Bedrock Runtime host of `region`, e.g. `bedrock-runtime.us-east-1.amazonaws.com`.
pub fn runtime_host(region: &str) -> Option<String> {
    Some(partition_of(region)?.host("bedrock-runtime", region))
}

/// The Agents for Bedrock Runtime host (Rerank) of `region`,
/// e.g. `bedrock-agent-runtime.us-west-2.amazonaws.com`.
pub fn agent_runtime_host(region: &str) -> Option<String> {
    Some(partition_of(region)?.host("bedrock-agent-runtime", region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_of_regions() {
        let table = [
            ("us-east-1", Some(Partition::Aws)),
            ("us-west-2", Some(Partition::Aws)),
            ("eu-central-2", Some(Partition::Aws)),
            ("ap-southeast-7", Some(Partition::Aws)),
            ("sa-east-1", Some(Partition::Aws)),
            ("ca-west-1", Some(Partition::Aws)),
            ("me-central-1", Some(Partition::Aws)),
            ("af-south-1", Some(Partition::Aws)),
            ("il-central-1", Some(Partition::Aws)),
            ("mx-central-1", Some(Partition::Aws)),
            ("us-gov-west-1", Some(Partition::AwsUsGov)),
            ("us-gov-east-1", Some(Partition::AwsUsGov)),
            ("cn-north-1", Some(Partition::AwsCn)),
            ("cn-northwest-1", Some(Partition::AwsCn)),
            ("eusc-de-east-1", Some(Partition::AwsEusc)),
            ("us-iso-east-1", Some(Partition::AwsIso)),
            ("us-isob-east-1", Some(Partition::AwsIsoB)),
            ("us-isof-south-1", Some(Partition::AwsIsoF)),
            ("", None),
            ("us-east", None),
            ("us-east-1a", None),
            ("us-east-1-", None),
            ("xx-east-1", None),
            ("useast1", None),
            ("us-east-one", None),
            ("eusc-fr-east-1", None),
            ("us-gov-west-1-x", None),
            ("us-east-1 ", None),
            ("us.east.1", None),
        ];
        for (region, want) in table {
            assert_eq!(partition_of(region), want, "{region:?}");
        }
    }

    #[test]
    fn suffixes_and_arn_names() {
        let table = [
            (Partition::Aws, "aws", "amazonaws.com"),
            (Partition::AwsUsGov, "aws-us-gov", "amazonaws.com"),
            (Partition::AwsCn, "aws-cn", "amazonaws.com.cn"),
            (Partition::AwsEusc, "aws-eusc", "amazonaws.eu"),
            (Partition::AwsIso, "aws-iso", "c2s.ic.gov"),
            (Partition::AwsIsoB, "aws-iso-b", "sc2s.sgov.gov"),
            (Partition::AwsIsoF, "aws-iso-f", "csp.hci.ic.gov"),
        ];
        for (p, arn, suffix) in table {
            assert_eq!(p.arn_name(), arn);
            assert_eq!(p.dns_suffix(), suffix);
            assert_eq!(Partition::from_arn_name(arn), Some(p));
            assert_eq!(p.to_string(), arn);
        }
        assert_eq!(Partition::from_arn_name("aws-foo"), None);
    }

    #[test]
    fn hosts_match_the_verified_endpoints() {
        // Spec §1.2, VERIFIED resolutions (non-FIPS, non-dual-stack).
        assert_eq!(
            runtime_host("us-east-1").as_deref(),
            Some("bedrock-runtime.us-east-1.amazonaws.com")
        );
        assert_eq!(
            runtime_host("eusc-de-east-1").as_deref(),
            Some("bedrock-runtime.eusc-de-east-1.amazonaws.eu")
        );
        assert_eq!(
            agent_runtime_host("us-west-2").as_deref(),
            Some("bedrock-agent-runtime.us-west-2.amazonaws.com")
        );
        assert_eq!(
            runtime_host("us-iso-east-1").as_deref(),
            Some("bedrock-runtime.us-iso-east-1.c2s.ic.gov")
        );
        assert_eq!(
            runtime_host("cn-north-1").as_deref(),
            Some("bedrock-runtime.cn-north-1.amazonaws.com.cn")
        );
        assert_eq!(runtime_host("moon-1"), None);
        assert_eq!(agent_runtime_host(""), None);
    }

    #[test]
    fn geo_prefixes() {
        let table = [
            ("us-east-1", Some("us")),
            ("us-east-2", Some("us")),
            ("us-west-1", Some("us")),
            ("us-west-2", Some("us")),
            ("us-gov-west-1", Some("us-gov")),
            ("us-gov-east-1", Some("us-gov")),
            ("eu-central-1", Some("eu")),
            ("eu-west-3", Some("eu")),
            ("eu-south-2", Some("eu")),
            ("ap-southeast-2", Some("au")),
            ("ap-southeast-4", Some("au")),
            ("ap-northeast-1", Some("jp")),
            ("ap-northeast-3", Some("jp")),
            ("ap-northeast-2", Some("apac")),
            ("ap-south-1", Some("apac")),
            ("ap-southeast-1", Some("apac")),
            ("ap-east-2", Some("apac")),
            ("me-central-1", Some("apac")),
            ("ca-central-1", Some("ca")),
            ("ca-west-1", Some("ca")),
            ("sa-east-1", None),
            ("me-south-1", None),
            ("af-south-1", None),
            ("il-central-1", None),
            ("mx-central-1", None),
            ("cn-north-1", None),
            ("eusc-de-east-1", None),
            ("us-iso-east-1", None),
            ("us-isob-east-1", None),
            ("nowhere", None),
        ];
        for (region, want) in table {
            assert_eq!(geo_prefix(region), want, "{region}");
        }
    }
}
