//! SigV4 for Amazon Managed Service for Prometheus: the region, and credentials from the
//! standard AWS chain, cached until shortly before they expire.

use super::*;

/// SigV4 signing: the region and service, and where credentials come from.
pub(super) struct Sigv4Auth {
    pub(super) region: String,
    pub(super) service: String,
    pub(super) source: CredentialSource,
    pub(super) cache: tokio::sync::Mutex<Option<Cached>>,
}

pub(super) enum CredentialSource {
    Fixed(sigv4::Credentials),
    /// The standard chain, built on first use (building it is async).
    Chain {
        chain: tokio::sync::OnceCell<DefaultCredentialsChain>,
        /// Its HTTP client on rustls with ring, like reqwest's.
        config: Box<ProviderConfig>,
    },
}

pub(super) struct Cached {
    pub(super) credentials: sigv4::Credentials,
    /// Fetch again after this.
    pub(super) refresh_at: SystemTime,
    /// Usable until this, should fetching again fail.
    pub(super) expires_at: Option<SystemTime>,
}

impl Sigv4Auth {
    pub(super) fn new(
        cfg: &PrometheusConfig,
        source: CredentialSource,
    ) -> Result<Sigv4Auth, String> {
        let service = cfg.sigv4_service.trim();
        if service.is_empty() {
            return Err(
                "slo.prometheus.sigv4_service: empty; Amazon Managed Service for Prometheus \
                 is \"aps\""
                    .into(),
            );
        }
        Ok(Sigv4Auth {
            region: region(cfg)?,
            service: service.to_owned(),
            source,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    pub(super) async fn credentials(&self) -> Result<sigv4::Credentials, PromError> {
        let (chain, config) = match &self.source {
            CredentialSource::Fixed(c) => return Ok(c.clone()),
            CredentialSource::Chain { chain, config } => (chain, config),
        };
        // Held while fetching: concurrent queries wait for one fetch rather than each asking.
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(c) = cache.as_ref().filter(|c| c.refresh_at > now) {
            return Ok(c.credentials.clone());
        }
        let chain = chain
            .get_or_init(|| async {
                DefaultCredentialsChain::builder()
                    .region(Region::new(self.region.clone()))
                    .configure(ProviderConfig::clone(config))
                    .build()
                    .await
            })
            .await;
        match chain.provide_credentials().await {
            Ok(c) => {
                let expires_at = c.expiry();
                let refresh_at = match expires_at {
                    Some(e) => e.checked_sub(REFRESH_BEFORE_EXPIRY).unwrap_or(now),
                    None => now + STATIC_CREDENTIALS_TTL,
                };
                let credentials = sigv4::Credentials {
                    access_key_id: c.access_key_id().to_owned(),
                    secret_access_key: c.secret_access_key().to_owned(),
                    session_token: c.session_token().map(str::to_owned),
                };
                *cache = Some(Cached {
                    credentials: credentials.clone(),
                    refresh_at,
                    expires_at,
                });
                Ok(credentials)
            }
            Err(e) => {
                let detail = causes(&e);
                match cache.as_ref() {
                    // Still valid for a while: use them, and try again at the next query.
                    Some(c)
                        if c.expires_at
                            .is_none_or(|x| x > now + Duration::from_secs(60)) =>
                    {
                        tracing::warn!(error = %detail, "AWS credentials not refreshed; using the current ones");
                        Ok(c.credentials.clone())
                    }
                    _ => Err(PromError::Credentials(detail)),
                }
            }
        }
    }
}

/// The region to sign for: `slo.prometheus.region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, or
/// the one in an Amazon Managed Service for Prometheus address.
pub(super) fn region(cfg: &PrometheusConfig) -> Result<String, String> {
    if let Some(r) = &cfg.region {
        let r = r.trim();
        if r.is_empty() {
            return Err(
                "slo.prometheus.region: empty; give the workspace's region, for example \
                        \"eu-west-1\""
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
    let host = Url::parse(cfg.url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if let Some(r) = host
        .strip_prefix("aps-workspaces.")
        .and_then(|rest| rest.split_once('.'))
        .map(|(r, _)| r)
        .filter(|r| !r.is_empty())
    {
        return Ok(r.to_owned());
    }
    Err(
        "slo.prometheus.region: not set (nor AWS_REGION or AWS_DEFAULT_REGION) with auth = \
         \"sigv4\"; give the workspace's region, for example \"eu-west-1\""
            .into(),
    )
}
