//! Credentials: the cache between object_store and an AWS SDK provider, and the standard AWS
//! chain (environment keys, profiles of the shared files) against SeaweedFS.
//!
//! The chain reads the process's environment, which a test cannot change safely while others
//! run beside it; so `credentials_come_from_the_standard_chain` runs `chain_child` (ignored in
//! a normal run) in a process of its own, once per environment.

use super::export::{periods, seen, Sink};
use super::{deliver, s3_export, seaweedfs};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use nagare_server::config::S3Config;
use nagare_server::cost::layout::{self, PeriodState};
use nagare_server::cost::s3::{self, AwsCredentials};
use object_store::path::Path;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// One scripted answer: a secret and its expiry, or the provider's error.
type Answer = Result<(String, Option<SystemTime>), String>;

/// A provider that answers from a script (the last answer repeats) and counts the calls.
#[derive(Debug, Default)]
struct Scripted {
    calls: AtomicUsize,
    answers: Mutex<VecDeque<Answer>>,
}

impl ProvideCredentials for Scripted {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap();
        let answer = if answers.len() > 1 {
            answers.pop_front().unwrap()
        } else {
            answers.front().cloned().unwrap()
        };
        future::ProvideCredentials::ready(match answer {
            Ok((secret, expiry)) => Ok(Credentials::new(
                seaweedfs::ACCESS_KEY,
                secret,
                None,
                expiry,
                "scripted",
            )),
            Err(message) => Err(CredentialsError::provider_error(message)),
        })
    }
}

fn scripted(answers: Vec<Answer>) -> (Arc<Scripted>, SharedCredentialsProvider) {
    let p = Arc::new(Scripted {
        calls: AtomicUsize::new(0),
        answers: Mutex::new(answers.into()),
    });
    let shared = SharedCredentialsProvider::from(p.clone() as Arc<dyn ProvideCredentials>);
    (p, shared)
}

#[tokio::test]
async fn credentials_are_cached_until_shortly_before_they_expire() {
    let now = SystemTime::now();
    // Keys without an expiry: asked once for several requests, through object_store.
    let (p, shared) = scripted(vec![Ok((seaweedfs::SECRET_KEY.into(), None))]);
    let (bucket, writer) = seaweedfs::bucket("cached").await;
    seaweedfs::put(writer.as_ref(), "x/a.csv", b"BilledCost\n1\n").await;
    let store = s3::store_with(&bucket, &seaweedfs::config(), shared).unwrap();
    for _ in 0..3 {
        layout::list(store.as_ref(), &Path::parse("x").unwrap())
            .await
            .unwrap();
    }
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);

    // Credentials valid for an hour: kept.
    let hour = Some(now + Duration::from_secs(3600));
    let (p, shared) = scripted(vec![Ok(("s1".into(), hour))]);
    let c = AwsCredentials::from_provider(shared);
    for _ in 0..3 {
        assert_eq!(c.credential().await.unwrap().secret_key, "s1");
    }
    assert_eq!(p.calls.load(Ordering::SeqCst), 1);

    // Within five minutes of expiring: fetched again at each use.
    let soon = Some(now + Duration::from_secs(120));
    let (p, shared) = scripted(vec![Ok(("s1".into(), soon))]);
    let c = AwsCredentials::from_provider(shared);
    for _ in 0..3 {
        c.credential().await.unwrap();
    }
    assert_eq!(p.calls.load(Ordering::SeqCst), 3);

    // A refresh that fails while the current ones are still valid (four minutes): they are
    // used, and the next use asks again.
    let four = Some(now + Duration::from_secs(240));
    let (p, shared) = scripted(vec![
        Ok(("s1".into(), four)),
        Err("the SSO session has expired".into()),
        Ok(("s2".into(), hour)),
    ]);
    let c = AwsCredentials::from_provider(shared);
    assert_eq!(c.credential().await.unwrap().secret_key, "s1");
    assert_eq!(c.credential().await.unwrap().secret_key, "s1");
    assert_eq!(c.credential().await.unwrap().secret_key, "s2");
    assert_eq!(p.calls.load(Ordering::SeqCst), 3);

    // Nothing to fall back on: the provider's reason and what to do.
    let (_, shared) = scripted(vec![Err("the SSO session has expired".into())]);
    let c = AwsCredentials::from_provider(shared.clone());
    let e = c.credential().await.unwrap_err();
    assert!(
        e.contains("no AWS credentials for S3")
            && e.contains("the SSO session has expired")
            && e.contains("aws sso login"),
        "{e}"
    );
    // And through object_store, as a listing's error.
    let store = s3::store_with(&bucket, &seaweedfs::config(), shared).unwrap();
    let e = layout::list(store.as_ref(), &Path::parse("x").unwrap())
        .await
        .unwrap_err();
    assert!(e.contains("no AWS credentials for S3"), "{e}");
}

/// The child's environments: (case, variables). `HOME` is an empty folder, so no real
/// `~/.aws` is read, and the instance metadata service is not asked.
fn child_env(dir: &std::path::Path, case: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("HOME".to_owned(), dir.join("home").display().to_string()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("NAGARE_TEST_CHAIN_CASE".into(), case.into()),
    ];
    match case {
        "env" => env.extend([
            ("AWS_ACCESS_KEY_ID".into(), seaweedfs::ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), seaweedfs::SECRET_KEY.into()),
            ("AWS_REGION".into(), "eu-north-1".into()),
        ]),
        _ => {
            std::fs::write(
                dir.join("config"),
                "[default]\nregion = us-east-1\n\n[profile nagare]\nregion = us-east-1\n",
            )
            .unwrap();
            std::fs::write(
                dir.join("credentials"),
                format!(
                    "[default]\naws_access_key_id = {}\naws_secret_access_key = \
                     not-the-secret-5d2e\n\n[nagare]\naws_access_key_id = {}\n\
                     aws_secret_access_key = {}\n",
                    seaweedfs::ACCESS_KEY,
                    seaweedfs::ACCESS_KEY,
                    seaweedfs::SECRET_KEY
                ),
            )
            .unwrap();
            env.extend([
                (
                    "AWS_CONFIG_FILE".into(),
                    dir.join("config").display().to_string(),
                ),
                (
                    "AWS_SHARED_CREDENTIALS_FILE".into(),
                    dir.join("credentials").display().to_string(),
                ),
            ]);
        }
    }
    env
}

#[tokio::test]
async fn credentials_come_from_the_standard_chain() {
    let (bucket, store) = seaweedfs::bucket("chain").await;
    deliver(&Sink::Store(store), &s3_export(&bucket)).await;
    for case in ["env", "files"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "credentials::chain_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env_clear()
            .envs(child_env(dir.path(), case))
            .env("NAGARE_TEST_S3_ENDPOINT", seaweedfs::endpoint())
            .env("NAGARE_TEST_S3_BUCKET", &bucket)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("1 passed"),
            "case {case}:\n{text}"
        );
    }
}

/// Run by `credentials_come_from_the_standard_chain`, in an environment made for it.
#[tokio::test]
#[ignore = "run by credentials_come_from_the_standard_chain in a process with its own environment"]
async fn chain_child() {
    let case = std::env::var("NAGARE_TEST_CHAIN_CASE")
        .expect("run by credentials_come_from_the_standard_chain, which sets the environment");
    let bucket = std::env::var("NAGARE_TEST_S3_BUCKET").unwrap();
    let location = layout::parse_location(&format!("s3://{bucket}/cur/focus/")).unwrap();
    let cfg = |profile: Option<&str>| S3Config {
        region: None,
        endpoint: Some(seaweedfs::endpoint()),
        profile: profile.map(str::to_owned),
    };
    let listing = |profile: Option<&'static str>| {
        let location = location.clone();
        async move {
            let (store, prefix) = layout::open(&location, &cfg(profile)).await?;
            layout::list(store.as_ref(), &prefix).await
        }
    };
    let ready = |l: &layout::Listing| {
        periods(l)
            .iter()
            .map(|p| {
                let (period, state, files, _) = seen(p);
                (period, state, files.len())
            })
            .collect::<Vec<_>>()
    };
    let expected = vec![
        ("2026-01".to_owned(), PeriodState::Ready, 2),
        ("2026-02".to_owned(), PeriodState::Ready, 2),
    ];
    match case.as_str() {
        "env" => {
            // AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; the region from AWS_REGION.
            assert_eq!(s3::region(&S3Config::default()).unwrap(), "eu-north-1");
            let l = listing(None).await.unwrap();
            assert_eq!(ready(&l), expected);
        }
        "files" => {
            // The profile named in the configuration.
            let l = listing(Some("nagare")).await.unwrap();
            assert_eq!(ready(&l), expected);
            // None named: the default profile, whose secret S3 refuses (and which the error
            // does not repeat).
            let e = listing(None).await.unwrap_err();
            assert!(
                e.contains("SignatureDoesNotMatch") || e.contains("AccessDenied"),
                "{e}"
            );
            assert!(!e.contains("not-the-secret"), "{e}");
            // A profile that is not there: no credentials, said so.
            let e = listing(Some("absent")).await.unwrap_err();
            assert!(
                e.contains("no AWS credentials for S3") && e.contains("absent"),
                "{e}"
            );
        }
        other => panic!("unknown case {other}"),
    }
}
