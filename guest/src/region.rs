//! AWS regions: which partition a region belongs to, its DNS suffix, the Bedrock host names,
//! and the geography prefix of its cross-region inference profiles.
//!
//! The partition table follows botocore's `partitions.json` (spec §1.2). The regexes there are
//! matched by hand: region names are short and the shapes are fixed, so a regex engine in the
//! component would cost more than it saves. Unlike botocore's `\w`, names are lower case only,
//! as real ones are and as the hosts' DNS names are compared.
//!
//! This table is the single source of the partition facts: the provider manifest
//! (`guest/manifest.json`, rendered by `manifest.rs`) publishes each partition's
//! [`Partition::region_pattern`] with its DNS suffixes, so hosts allow exactly the endpoints
//! built here. Tests check every hand matcher against its pattern.

use std::fmt;

/// The endpoint prefix of Bedrock Runtime (Converse, InvokeModel).
pub const RUNTIME_SERVICE: &str = "bedrock-runtime";
/// The endpoint prefix of Agents for Bedrock Runtime (Rerank).
pub const AGENT_RUNTIME_SERVICE: &str = "bedrock-agent-runtime";
/// The endpoint prefix of the Bedrock control plane.
pub const CONTROL_PLANE_SERVICE: &str = "bedrock";
/// Every endpoint prefix the component may call. Each also has a FIPS variant,
/// `<service>-fips`, which the manifest allows as well.
pub const SERVICES: [&str; 3] = [RUNTIME_SERVICE, AGENT_RUNTIME_SERVICE, CONTROL_PLANE_SERVICE];

/// The shape of every AWS region name, in the manifest's pattern dialect (wit/MANIFEST.md):
/// the host allows a region's endpoints only when the name matches it in full.
pub const REGION_PATTERN: &str = "[a-z]{2,4}(-[a-z0-9]+){1,3}-[0-9]{1,2}";

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

    /// The DNS suffix of its dual-stack (IPv4 and IPv6) endpoints, e.g. `api.aws`.
    pub fn dual_stack_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "api.aws",
            Self::AwsCn => "api.amazonwebservices.com.cn",
            Self::AwsEusc => "api.amazonwebservices.eu",
            Self::AwsIso => "api.aws.ic.gov",
            Self::AwsIsoB => "api.aws.scloud",
            Self::AwsIsoF => "api.aws.hci.ic.gov",
        }
    }

    /// The regular expression of its region names, in the manifest's dialect (the subset
    /// `regex-lite` and ECMAScript agree on; hosts anchor it as `^(?:pattern)$`). It accepts
    /// exactly what [`Partition::matches`] accepts.
    pub fn region_pattern(self) -> &'static str {
        match self {
            Self::Aws => "(us|eu|ap|sa|ca|me|af|il|mx)-[a-z0-9_]+-[0-9]+",
            Self::AwsUsGov => "us-gov-[a-z0-9_]+-[0-9]+",
            Self::AwsCn => "cn-[a-z0-9_]+-[0-9]+",
            Self::AwsEusc => "eusc-de-[a-z0-9_]+-[0-9]+",
            Self::AwsIso => "us-iso-[a-z0-9_]+-[0-9]+",
            Self::AwsIsoB => "us-isob-[a-z0-9_]+-[0-9]+",
            Self::AwsIsoF => "us-isof-[a-z0-9_]+-[0-9]+",
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

    /// Whether `region` has this partition's region shape ([`Partition::region_pattern`]).
    pub fn matches(self, region: &str) -> bool {
        let parts: Vec<&str> = region.split('-').collect();
        // Each arm spells its pattern with `\w` for `[a-z0-9_]` and `\d` for `[0-9]`.
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

/// Regex `[a-z0-9_]+`: lower-case letters, digits, underscore; at least one.
fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
    Some(partition_of(region)?.host(RUNTIME_SERVICE, region))
}

/// The Agents for Bedrock Runtime host (Rerank) of `region`,
/// e.g. `bedrock-agent-runtime.us-west-2.amazonaws.com`.
pub fn agent_runtime_host(region: &str) -> Option<String> {
    Some(partition_of(region)?.host(AGENT_RUNTIME_SERVICE, region))
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
            ("US-EAST-1", None),
            ("us-East-1", None),
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

    /// A pattern as hosts evaluate it: anchored, matched in full.
    fn anchored(pattern: &str) -> regex_lite::Regex {
        match regex_lite::Regex::new(&format!("^(?:{pattern})$")) {
            Ok(re) => re,
            Err(e) => panic!("{pattern}: {e}"),
        }
    }

    /// Region names that probe every shape: real ones of each partition, near misses,
    /// upper case, injection attempts and a 10 kB name.
    fn probes() -> Vec<String> {
        let mut regions: Vec<String> = [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-7",
            "mx-central-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "eusc-de-east-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "us-isof-south-1",
            "us-a_b-1",
            "us-east-123",
            "",
            "us",
            "us-east",
            "us-east-1a",
            "us-east-1-",
            "-us-east-1",
            "xx-east-1",
            "eusc-fr-east-1",
            "us-gov-1",
            "us-gov-west-1-x",
            "us-iso-b-east-1",
            "cn--1",
            "US-EAST-1",
            "us-East-1",
            "us-east-1 ",
            " us-east-1",
            "us.east.1",
            "x.evil.com#",
            "us-east-1.evil.com",
            "us-east-1#",
            "us-east-1/x",
            "us-east-1\n",
            "us-east-１",
            "us-eäst-1",
        ]
        .map(String::from)
        .to_vec();
        regions.push(format!("us-{}-1", "a".repeat(10_000)));
        regions.push("us-east-1".repeat(1200));
        regions
    }

    #[test]
    fn every_hand_matcher_agrees_with_its_pattern() {
        for p in Partition::ALL {
            let re = anchored(p.region_pattern());
            for region in probes() {
                assert_eq!(
                    p.matches(&region),
                    re.is_match(&region),
                    "{p}: the matcher and `{}` disagree on {region:?}",
                    p.region_pattern()
                );
            }
        }
        // No region belongs to two partitions, so the host's first matching case is the
        // partition `partition_of` finds.
        for region in probes() {
            let n =
                Partition::ALL.iter().filter(|p| anchored(p.region_pattern()).is_match(&region));
            assert!(n.count() <= 1, "{region:?}");
        }
    }

    #[test]
    fn real_regions_have_the_region_shape_and_hostile_names_do_not() {
        let shape = anchored(REGION_PATTERN);
        for region in &probes()[..10] {
            assert!(partition_of(region).is_some(), "{region}");
            assert!(shape.is_match(region) && region.len() <= MAX_REGION_LEN, "{region}");
        }
        // What a tenant could use to turn a host template into another host never passes.
        let long = format!("us-{}-1", "a".repeat(10_000));
        for region in ["", "x.evil.com#", "us-east-1.evil.com", "us-east-1/x", "US-EAST-1", &long] {
            assert!(!shape.is_match(region) || region.len() > MAX_REGION_LEN, "{region:?}");
        }
    }

    #[test]
    fn dual_stack_suffixes() {
        let table = [
            (Partition::Aws, "api.aws"),
            (Partition::AwsUsGov, "api.aws"),
            (Partition::AwsCn, "api.amazonwebservices.com.cn"),
            (Partition::AwsEusc, "api.amazonwebservices.eu"),
            (Partition::AwsIso, "api.aws.ic.gov"),
            (Partition::AwsIsoB, "api.aws.scloud"),
            (Partition::AwsIsoF, "api.aws.hci.ic.gov"),
        ];
        for (p, suffix) in table {
            assert_eq!(p.dual_stack_suffix(), suffix);
        }
    }
}
