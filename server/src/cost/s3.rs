//! S3 access for `s3://` cost sources: an `object_store` client of one bucket, with the region
//! and endpoint of `[cost.s3]`, and credentials from the standard AWS chain.
//!
//! The chain is aws-config's (environment, profile files incl. IAM Identity Center SSO and
//! `credential_process`, web identity, ECS, the instance role), with its HTTP client on rustls
//! with ring like the rest of the server. It does not cache what it finds, and object_store
//! asks for credentials before every request, so [`AwsCredentials`] keeps them until five
//! minutes before they expire (static keys: fifteen minutes), and keeps using them while a
//! refresh fails and they are still valid.

use crate::config::S3Config;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::Region;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider as TlsProvider};
use object_store::aws::{AmazonS3Builder, AwsCredential};
use object_store::{CredentialProvider, ObjectStore};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Fetch again this long before the credentials expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// How long credentials without an expiry (static keys) are kept before asking again.
const STATIC_CREDENTIALS_TTL: Duration = Duration::from_secs(15 * 60);

/// A client of `bucket` with credentials from the standard AWS chain (`s3.profile` selects a
/// profile of the shared config files; else `AWS_PROFILE`, else the chain's order).
pub fn store(bucket: &str, s3: &S3Config) -> Result<Arc<dyn ObjectStore>, String> {
    let region = region(s3)?;
    let credentials = AwsCredentials::chain(&region, s3.profile.as_deref())?;
    build(bucket, s3, region, credentials)
}

/// A client of `bucket` with credentials from `provider` (fixed keys, or any other provider of
/// the AWS SDK), cached as [`store`]'s are.
pub fn store_with(
    bucket: &str,
    s3: &S3Config,
    provider: SharedCredentialsProvider,
) -> Result<Arc<dyn ObjectStore>, String> {
    let region = region(s3)?;
    build(bucket, s3, region, AwsCredentials::from_provider(provider))
}

fn build(
    bucket: &str,
    s3: &S3Config,
    region: String,
    credentials: AwsCredentials,
) -> Result<Arc<dyn ObjectStore>, String> {
    let bucket = bucket.trim();
    if bucket.is_empty() {
        return Err("S3: no bucket name; give the location as s3://BUCKET/PREFIX".into());
    }
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_credentials(Arc::new(credentials));
    if let Some(endpoint) = &s3.endpoint {
        let endpoint = endpoint.trim().trim_end_matches('/');
        let url = url::Url::parse(endpoint).map_err(|e| {
            format!(
                "cost.s3.endpoint {endpoint:?}: not a URL ({e}); give one such as \
                 \"http://127.0.0.1:8333\" or \"https://s3.example.com\""
            )
        })?;
        let http = match url.scheme() {
            "http" => true,
            "https" => false,
            other => {
                return Err(format!(
                    "cost.s3.endpoint {endpoint:?}: the scheme is {other:?}; use http:// or \
                     https://"
                ))
            }
        };
        // An S3-compatible server: bucket in the path, not in the host name; plain HTTP only
        // when the endpoint itself says so.
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(http);
    }
    let store = builder
        .build()
        .map_err(|e| format!("S3 bucket {bucket:?}: {e}"))?;
    Ok(Arc::new(store))
}

/// The bucket's region: `cost.s3.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1.
pub fn region(s3: &S3Config) -> Result<String, String> {
    if let Some(r) = &s3.region {
        let r = r.trim();
        if r.is_empty() {
            return Err(
                "cost.s3.region: empty; give the bucket's region, for example \"eu-west-1\", \
                 or leave it out"
                    .into(),
            );
        }
        return Ok(r.to_owned());
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(r) = std::env::var(var) {
            if !r.trim().is_empty() {
                return Ok(r.trim().to_owned());
            }
        }
    }
    Ok("us-east-1".to_owned())
}

/// AWS credentials for object_store, from an AWS SDK credentials provider, cached.
pub struct AwsCredentials {
    source: Source,
    /// Held while fetching: concurrent requests wait for one fetch rather than each asking.
    cache: tokio::sync::Mutex<Option<Cached>>,
}

enum Source {
    Provider(SharedCredentialsProvider),
    /// The standard chain, built on first use (building it is async).
    Chain {
        region: String,
        profile: Option<String>,
        chain: tokio::sync::OnceCell<SharedCredentialsProvider>,
    },
}

struct Cached {
    credential: Arc<AwsCredential>,
    /// Fetch again after this.
    refresh_at: SystemTime,
    /// Usable until this, should fetching again fail.
    expires_at: Option<SystemTime>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials themselves.
        match &self.source {
            Source::Provider(_) => f.write_str("AwsCredentials(provider)"),
            Source::Chain { profile, .. } => {
                write!(f, "AwsCredentials(standard chain, profile {profile:?})")
            }
        }
    }
}

impl AwsCredentials {
    /// The standard chain for `region`, with `profile` if given.
    pub fn chain(region: &str, profile: Option<&str>) -> Result<AwsCredentials, String> {
        let profile = match profile.map(str::trim) {
            Some("") => {
                return Err(
                    "cost.s3.profile: empty; name a profile of ~/.aws/config or leave it out"
                        .into(),
                )
            }
            p => p.map(str::to_owned),
        };
        Ok(AwsCredentials {
            source: Source::Chain {
                region: region.to_owned(),
                profile,
                chain: tokio::sync::OnceCell::new(),
            },
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// Any provider of the AWS SDK (fixed keys, an assumed role, …).
    pub fn from_provider(provider: SharedCredentialsProvider) -> AwsCredentials {
        AwsCredentials {
            source: Source::Provider(provider),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    async fn provider(&self) -> &SharedCredentialsProvider {
        match &self.source {
            Source::Provider(p) => p,
            Source::Chain {
                region,
                profile,
                chain,
            } => {
                chain
                    .get_or_init(|| async {
                        let http = aws_smithy_http_client::Builder::new()
                            .tls_provider(TlsProvider::Rustls(CryptoMode::Ring))
                            .build_https();
                        let mut builder = DefaultCredentialsChain::builder()
                            .region(Region::new(region.clone()))
                            .configure(ProviderConfig::default().with_http_client(http));
                        if let Some(p) = profile {
                            builder = builder.profile_name(p);
                        }
                        SharedCredentialsProvider::new(builder.build().await)
                    })
                    .await
            }
        }
    }

    /// The current credentials: cached, or fetched when due.
    pub async fn credential(&self) -> Result<Arc<AwsCredential>, String> {
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(c) = cache.as_ref().filter(|c| c.refresh_at > now) {
            return Ok(c.credential.clone());
        }
        match self.provider().await.provide_credentials().await {
            Ok(c) => {
                let expires_at = c.expiry();
                let refresh_at = match expires_at {
                    Some(e) => e.checked_sub(REFRESH_BEFORE_EXPIRY).unwrap_or(now),
                    None => now + STATIC_CREDENTIALS_TTL,
                };
                let credential = Arc::new(AwsCredential {
                    key_id: c.access_key_id().to_owned(),
                    secret_key: c.secret_access_key().to_owned(),
                    token: c.session_token().map(str::to_owned),
                });
                *cache = Some(Cached {
                    credential: credential.clone(),
                    refresh_at,
                    expires_at,
                });
                Ok(credential)
            }
            Err(e) => {
                let detail = causes(&e);
                match cache.as_ref() {
                    // Still valid for a while: use them, and try again at the next request.
                    Some(c)
                        if c.expires_at
                            .is_none_or(|x| x > now + Duration::from_secs(60)) =>
                    {
                        tracing::warn!(error = %detail, "AWS credentials for S3 not refreshed; using the current ones");
                        Ok(c.credential.clone())
                    }
                    _ => Err(format!(
                        "no AWS credentials for S3: {detail}. Set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, name a profile (cost.s3.profile or AWS_PROFILE; \
                         for SSO run `aws sso login --profile NAME` first), or run where a role \
                         is attached"
                    )),
                }
            }
        }
    }
}

/// A message to carry a credentials failure through object_store.
#[derive(Debug)]
struct CredentialsError(String);

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CredentialsError {}

// object_store declares the trait with `#[async_trait]`; this is the method that macro expects,
// written out (the server does not depend on async-trait itself).
impl CredentialProvider for AwsCredentials {
    type Credential = AwsCredential;

    fn get_credential<'life0, 'async_trait>(
        &'life0 self,
    ) -> Pin<Box<dyn Future<Output = object_store::Result<Arc<AwsCredential>>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.credential()
                .await
                .map_err(|message| object_store::Error::Generic {
                    store: "S3",
                    source: Box::new(CredentialsError(message)),
                })
        })
    }
}

/// An error and its causes on one line (the chain lists each provider it tried on a line of its
/// own), without repeating a cause its parent already quotes.
fn causes(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
