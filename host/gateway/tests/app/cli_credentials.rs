//! The `bedrock-gateway` binary with credentials it resolves itself: a profile of
//! ~/.aws/credentials, `credential_process`, web identity, the container endpoint, IMDSv2, a
//! `source_profile` role chain, AssumeRole from the settings and IAM Identity Center, each in a
//! temporary HOME with the AWS SDK pointed at loopback fakes ([`crate::aws_fakes`]). The
//! emulator accepts only the keys each source hands out, so an answer proves the call was
//! signed with them. Every run logs at trace level, and no secret may show anywhere.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bedrock_emulator::{Credential, Emulator, EmulatorConfig};
use serde_json::{Value, json};

use crate::aws_fakes::{FakeAws, SSO_ACCESS_TOKEN, Schedule};
use crate::common::{cache_dir, temp_dir};

const MODEL: &str = "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0";
/// Long-term keys of the [dev] profile (accepted by the emulator).
const DEV_KEY: &str = "AKIAPROFILEDEV000001";
const DEV_SECRET: &str = "dEv/pRoFiLe+sEcReT9x7Q2w4E6r8T0y1U3i5O7p";
/// Long-term keys of the [base] profile: they may only sign AssumeRole (not accepted by the
/// emulator).
const BASE_KEY: &str = "AKIAPROFILEBASE00001";
const BASE_SECRET: &str = "bAsE/pRoFiLe+sEcReT9x7Q2w4E6r8T0y1U3i5O7";
/// Keys in the environment under a settings AssumeRole (not accepted by the emulator).
const ENV_KEY: &str = "AKIAENVIRONMENT00001";
const ENV_SECRET: &str = "eNv/kEyS+sEcReT9x7Q2w4E6r8T0y1U3i5O7pZaQ";
const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.Zm9vYmFyYmF6cXV4cXV1eA";
const CONTAINER_TOKEN: &str = "Ctok7Hq2pLx9Vw4Zc8Nm3RtQ1kLzP";
const IRSA_ROLE: &str = "arn:aws:iam::123456789012:role/irsa-gateway";
const CHAINED_ROLE: &str = "arn:aws:iam::123456789012:role/chained";
const SETTINGS_ROLE: &str = "arn:aws:iam::123456789012:role/from-settings";

/// One way of configuring credentials: a temporary HOME, a settings file, the environment.
struct Case {
    label: &'static str,
    home: PathBuf,
    settings: PathBuf,
    env: Vec<(String, String)>,
    imds: bool,
}

impl Case {
    fn new(label: &'static str, settings: Value) -> Case {
        let home = temp_dir(&format!("creds-{label}"));
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        let path = home.join("settings.json");
        std::fs::write(&path, settings.to_string()).unwrap();
        Case { label, home, settings: path, env: Vec::new(), imds: false }
    }

    fn env(mut self, name: &str, value: impl Into<String>) -> Case {
        self.env.push((name.into(), value.into()));
        self
    }

    fn file(self, relative: &str, content: &str) -> Case {
        let path = self.home.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        self
    }

    fn path(&self, relative: &str) -> String {
        self.home.join(relative).display().to_string()
    }

    /// `bedrock-gateway -v --settings .. <args>` with only this case's environment.
    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = crate::common::gateway_command();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("AWS_CONFIG_FILE", self.home.join(".aws/config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join(".aws/credentials"))
            .env("RUST_LOG", "trace")
            .env("NO_COLOR", "1");
        if !self.imds {
            cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.arg("-v").arg("--cache-dir").arg(cache_dir()).arg("--settings").arg(&self.settings);
        let output = cmd.args(args).output().unwrap();
        Run {
            label: format!("{}: {}", self.label, args.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

struct Run {
    label: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        let line = self.stdout.lines().last().unwrap_or("");
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}\n{self:?}", self.label))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} exited {:?}\n{}\n{}", self.label, self.code, self.stdout, self.stderr)
    }
}

/// Fails if any run shows a 12-character piece of a secret.
fn assert_no_secret(runs: &[Run], secrets: &[String]) {
    for run in runs {
        for secret in secrets {
            for window in secret.as_bytes().windows(12) {
                let window = std::str::from_utf8(window).unwrap();
                assert!(
                    !run.stdout.contains(window) && !run.stderr.contains(window),
                    "{} shows `{window}` of a secret:\n{run:?}",
                    run.label
                );
            }
        }
    }
}

/// Compiles the component into the shared cache without trace logging.
fn warm_cache() {
    let output = crate::common::gateway_command()
        .arg("--cache-dir")
        .arg(cache_dir())
        .arg("schema")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Runs every case's commands on four threads, in order.
fn run_all(jobs: Vec<(Arc<Case>, Vec<&'static str>)>) -> Vec<Run> {
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Some((i, (case, args))) = queue.lock().unwrap().pop() else { return };
                    let run = case.run(&args);
                    done.lock().unwrap().push((i, run));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, run)| run).collect()
}

fn settings(emulator: &Emulator, extra: Value) -> Value {
    let mut settings = json!({"region": "us-east-1", "baseUrl": emulator.base_url(),
                              "languageModel": MODEL});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            settings.as_object_mut().unwrap().remove(k);
        } else {
            settings[k] = v.clone();
        }
    }
    settings
}

fn long_term(id: &str, secret: &str) -> Credential {
    Credential {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: None,
        expires: None,
    }
}

/// A shell script printing `keys` the way `credential_process` must.
fn process_script(keys: &Credential) -> String {
    let json = json!({"Version": 1, "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret_access_key, "SessionToken": keys.session_token,
        "Expiration": bedrock_gateway::credentials::iso8601(keys.expires.unwrap())});
    format!("#!/bin/sh\ncat <<'EOF'\n{json}\nEOF\n")
}

fn executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_signs_with_its_own_keys() {
    let hour = Duration::from_secs(3600);
    let schedules: Vec<(&str, Arc<Schedule>)> =
        ["PROC", "WEBID", "CONT", "IMDS", "CHAIN", "ROLE", "SSO"]
            .into_iter()
            .map(|tag| (tag, Arc::new(Schedule::new(tag, 1, hour))))
            .collect();
    let schedule = |tag: &str| schedules.iter().find(|(t, _)| *t == tag).unwrap().1.clone();
    let mut accepted = vec![long_term(DEV_KEY, DEV_SECRET)];
    for (_, s) in &schedules {
        accepted.extend(s.credentials());
    }
    let emulator = Emulator::start(EmulatorConfig {
        credentials: accepted,
        api_keys: vec![],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let signers = [(BASE_KEY, BASE_SECRET), (ENV_KEY, ENV_SECRET)];
    let web = FakeAws::start(schedule("WEBID"), &[], None).await;
    let container = FakeAws::start(schedule("CONT"), &[], Some(CONTAINER_TOKEN)).await;
    let imds = FakeAws::start(schedule("IMDS"), &[], None).await;
    let chain_sts = FakeAws::start(schedule("CHAIN"), &signers, None).await;
    let role_sts = FakeAws::start(schedule("ROLE"), &signers, None).await;
    let sso = FakeAws::start(schedule("SSO"), &[], None).await;

    let dev_credentials = format!(
        "[dev]\naws_access_key_id = {DEV_KEY}\naws_secret_access_key = {DEV_SECRET}\n\n\
         [base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n"
    );
    let no_keys = settings(&emulator, json!({}));
    let proc_case = Case::new("process", no_keys.clone());
    let script = proc_case.path("bin/creds.sh");
    let proc_case = proc_case
        .file("bin/creds.sh", &process_script(schedule("PROC").current()))
        .file(".aws/config", &format!("[profile ci]\ncredential_process = {script}\n"))
        .env("AWS_PROFILE", "ci");
    executable(Path::new(&script));
    let web_case = Case::new("web-identity", no_keys.clone()).file("token", WEB_TOKEN);
    let token_file = web_case.path("token");
    let web_case = web_case
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", token_file)
        .env("AWS_ROLE_ARN", IRSA_ROLE)
        .env("AWS_ROLE_SESSION_NAME", "gateway-pod")
        .env("AWS_ENDPOINT_URL_STS", web.url());
    let container_case =
        Case::new("container", no_keys.clone()).file("pod-identity-token", CONTAINER_TOKEN);
    let token_file = container_case.path("pod-identity-token");
    let container_case = container_case
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", format!("{}/container", container.url()))
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
    // No region anywhere but instance metadata.
    let mut imds_case = Case::new("imds", settings(&emulator, json!({"region": null})))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    imds_case.imds = true;
    let cases = vec![
        // The first scenario: a [dev] profile and AWS_PROFILE=dev, no keys in the
        // settings; the region comes from the profile.
        Case::new("profile", settings(&emulator, json!({"region": null})))
            .file(".aws/credentials", &dev_credentials)
            .file(".aws/config", "[profile dev]\nregion = us-east-1\n")
            .env("AWS_PROFILE", "dev"),
        // The settings name the profile: the environment's keys do not mix in.
        Case::new(
            "profile setting",
            settings(&emulator, json!({"credentials": {"profile": "dev"}})),
        )
        .file(".aws/credentials", &dev_credentials)
        .env("AWS_ACCESS_KEY_ID", ENV_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET),
        proc_case,
        web_case,
        container_case,
        imds_case,
        Case::new("role chain", no_keys.clone())
            .file(".aws/credentials", &dev_credentials)
            .file(
                ".aws/config",
                &format!("[profile chain]\nrole_arn = {CHAINED_ROLE}\nsource_profile = base\n"),
            )
            .env("AWS_PROFILE", "chain")
            .env("AWS_ENDPOINT_URL_STS", chain_sts.url()),
        Case::new(
            "settings role",
            settings(
                &emulator,
                json!({"credentials": {"roleArn": SETTINGS_ROLE, "externalId": "ext-4242",
                       "sessionName": "gw-test", "durationSeconds": 900}}),
            ),
        )
        .env("AWS_ACCESS_KEY_ID", ENV_KEY)
        .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
        .env("AWS_ENDPOINT_URL_STS", role_sts.url()),
        Case::new("sso", settings(&emulator, json!({"region": null})))
            .file(
                ".aws/config",
                "[profile corp-dev]\nsso_session = corp\nsso_account_id = 123456789012\n\
                 sso_role_name = BedrockUser\nregion = us-east-1\n\n[sso-session corp]\n\
                 sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
            )
            .file(
                ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
                &json!({"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1",
                        "accessToken": SSO_ACCESS_TOKEN, "expiresAt": "2099-01-01T00:00:00Z"})
                .to_string(),
            )
            .env("AWS_PROFILE", "corp-dev")
            .env("AWS_ENDPOINT_URL_SSO", sso.url()),
    ];
    let expected = [
        ("profile", "profile dev (access keys)", DEV_KEY.to_string()),
        ("profile setting", "profile dev (access keys)", DEV_KEY.to_string()),
        (
            "process",
            "profile ci (credential_process)",
            schedule("PROC").current().access_key_id.clone(),
        ),
        (
            "web-identity",
            &*format!("web identity, role {IRSA_ROLE}"),
            schedule("WEBID").current().access_key_id.clone(),
        ),
        ("container", "container credentials", schedule("CONT").current().access_key_id.clone()),
        (
            "imds",
            "EC2 instance metadata (IMDSv2)",
            schedule("IMDS").current().access_key_id.clone(),
        ),
        (
            "role chain",
            &*format!("profile chain (role {CHAINED_ROLE} via profile base)"),
            schedule("CHAIN").current().access_key_id.clone(),
        ),
        (
            "settings role",
            &*format!("role {SETTINGS_ROLE} (AssumeRole) on environment (AWS_ACCESS_KEY_ID)"),
            schedule("ROLE").current().access_key_id.clone(),
        ),
        ("sso", "profile corp-dev (SSO)", schedule("SSO").current().access_key_id.clone()),
    ]
    .map(|(l, s, k)| (l.to_string(), s.to_string(), k));
    let cases: Vec<Arc<Case>> = cases.into_iter().map(Arc::new).collect();
    let mut jobs = Vec::new();
    for case in &cases {
        jobs.push((case.clone(), vec!["chat", "hello"]));
        jobs.push((case.clone(), vec!["check", "--json"]));
    }
    let runs = tokio::task::spawn_blocking(move || {
        warm_cache();
        run_all(jobs)
    })
    .await
    .unwrap();

    for (i, (label, source, key)) in expected.iter().enumerate() {
        let (chat, check) = (&runs[2 * i], &runs[2 * i + 1]);
        assert_eq!(chat.code, Some(0), "{chat:?}");
        assert!(chat.stdout.contains("You said: hello"), "{chat:?}");
        assert_eq!(check.code, Some(0), "{check:?}");
        let report = check.json();
        assert_eq!(report["credentials"]["source"], source.as_str(), "{label}: {check:?}");
        let masked = format!("{}...{}", &key[..4], &key[key.len() - 4..]);
        assert_eq!(report["credentials"]["accessKeyId"], masked.as_str(), "{label}");
        assert_eq!(report["credentials"]["expires"].is_null(), key.starts_with("AKIA"), "{label}");
        // What the component was given is what signed: the report's own summary agrees.
        assert!(report["report"]["auth"].as_str().unwrap().contains(&key[..4]), "{label}");
        // The settings shown are as stored, never the resolved keys.
        assert!(report["settings"].get("secretAccessKey").is_none(), "{label}: {check:?}");
        let used = emulator
            .requests()
            .iter()
            .filter(|r| {
                r.header("authorization").is_some_and(|a| a.contains(&format!("Credential={key}/")))
            })
            .count();
        assert!(used >= 2, "{label}: the emulator saw {used} requests signed with {key}");
    }
    for r in emulator.requests() {
        assert_eq!((r.status, r.signature_valid), (200, Some(true)), "{r:?}");
    }

    // The sources saw what the SDK must send them.
    let web_calls = web.seen();
    assert!(
        web_calls.iter().all(|s| s.form.get("Action").map(String::as_str)
            == Some("AssumeRoleWithWebIdentity")
            && s.form.get("WebIdentityToken").map(String::as_str) == Some(WEB_TOKEN)
            && s.form.get("RoleArn").map(String::as_str) == Some(IRSA_ROLE)
            && s.form.get("RoleSessionName").map(String::as_str) == Some("gateway-pod")),
        "{web_calls:?}"
    );
    assert!(!web_calls.is_empty());
    let container_calls = container.seen();
    assert!(!container_calls.is_empty());
    assert!(container_calls.iter().all(|s| s.header("authorization") == Some(CONTAINER_TOKEN)));
    let imds_calls = imds.seen();
    assert!(
        imds_calls.iter().any(|s| s.target.starts_with("PUT /latest/api/token")),
        "{imds_calls:?}"
    );
    assert!(imds_calls.iter().any(|s| s.target.ends_with("/placement/region")), "{imds_calls:?}");
    for call in chain_sts.seen() {
        assert_eq!(call.form.get("Action").map(String::as_str), Some("AssumeRole"));
        assert_eq!(call.form.get("RoleArn").map(String::as_str), Some(CHAINED_ROLE));
        assert_eq!(call.signed_by, Some((BASE_KEY.to_string(), true)), "signed by [base]");
    }
    let role_calls = role_sts.seen();
    assert!(!role_calls.is_empty());
    for call in role_calls {
        let param = |k: &str| call.form.get(k).map(String::as_str);
        assert_eq!(param("RoleArn"), Some(SETTINGS_ROLE));
        assert_eq!(param("ExternalId"), Some("ext-4242"));
        assert_eq!(param("RoleSessionName"), Some("gw-test"));
        assert_eq!(param("DurationSeconds"), Some("900"));
        assert_eq!(call.signed_by, Some((ENV_KEY.to_string(), true)), "signed by the environment");
    }
    assert!(sso.seen().iter().all(|s| s.target.contains("role_name=BedrockUser")
        && s.target.contains("account_id=123456789012")));

    let mut secrets: Vec<String> = schedules.iter().flat_map(|(_, s)| s.secrets()).collect();
    secrets.extend(
        [DEV_SECRET, BASE_SECRET, ENV_SECRET, WEB_TOKEN, CONTAINER_TOKEN, SSO_ACCESS_TOKEN]
            .map(str::to_string),
    );
    assert_no_secret(&runs, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_name_the_source_and_the_next_step() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let no_keys = settings(&emulator, json!({}));
    let failing = Case::new("failing process", no_keys.clone());
    let script = failing.path("bin/fail.sh");
    let failing = failing
        .file("bin/fail.sh", "#!/bin/sh\necho 'the vault is sealed' >&2\nexit 3\n")
        .file(".aws/config", &format!("[profile ci]\ncredential_process = {script}\n"))
        .env("AWS_PROFILE", "ci");
    executable(Path::new(&script));
    let expired_sso = Case::new("expired sso", no_keys.clone())
        .file(
            ".aws/config",
            "[profile corp-dev]\nsso_session = corp\nsso_account_id = 123456789012\n\
             sso_role_name = BedrockUser\n\n[sso-session corp]\n\
             sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        )
        .file(
            ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
            &json!({"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1",
                    "accessToken": SSO_ACCESS_TOKEN, "expiresAt": "2020-01-01T00:00:00Z"})
            .to_string(),
        )
        .env("AWS_PROFILE", "corp-dev")
        // Nothing may be called: an expired session fails before any request.
        .env("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9");
    let cases = [
        (
            Case::new("missing profile", no_keys.clone()).env("AWS_PROFILE", "ghost"),
            1,
            "authentication",
            "aws configure --profile ghost",
        ),
        (Case::new("nothing configured", no_keys.clone()), 1, "authentication", "aws configure"),
        (failing, 1, "authentication", "credential_process"),
        (expired_sso, 1, "expired-credentials", "aws sso login --profile corp-dev"),
        (
            Case::new(
                "mixed",
                settings(
                    &emulator,
                    json!({"credentials": {"profile": "dev"}, "accessKeyId": "AKIAX"}),
                ),
            ),
            2,
            "invalid-settings",
            "never mixed",
        ),
        (
            Case::new("typo", settings(&emulator, json!({"credentials": {"profle": "dev"}}))),
            2,
            "invalid-settings",
            "Did you mean `credentials.profile`?",
        ),
    ];
    let (cases, wants): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .map(|(c, code, kind, needle)| (Arc::new(c), (code, kind, needle)))
        .unzip();
    let jobs = cases.iter().map(|c| (c.clone(), vec!["chat", "--json", "hello"])).collect();
    let started = std::time::Instant::now();
    let runs = tokio::task::spawn_blocking(move || {
        warm_cache();
        run_all(jobs)
    })
    .await
    .unwrap();
    for (run, (code, kind, needle)) in runs.iter().zip(wants) {
        assert_eq!(run.code, Some(code), "{run:?}");
        let error = &run.json()["error"];
        assert_eq!(error["kind"], kind, "{run:?}");
        let text = format!("{} {} {}", error["message"], error["cause"], error["solution"]);
        assert!(text.contains(needle), "{}: {needle:?} not in {text}", run.label);
    }
    // Bounded: nothing waited for a timeout.
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    assert!(emulator.requests().is_empty(), "no call went out without keys");
    assert_no_secret(&runs, &[SSO_ACCESS_TOKEN.to_string()]);
}
