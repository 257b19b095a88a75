//! Shared state: the store, the config, and the in-memory model the metrics are read from.
//!
//! The model is derived from the events table and kept current incrementally: after a batch
//! commits, and before a read, [`AppState::sync`] applies only the events whose revision is
//! newer than the model's. Several replicas on one PostgreSQL database each catch up the same way.

use crate::config::Config;
use crate::store::{Store, StoreError};
use nagare_core::model::Org;
use std::sync::Arc;
use tokio::sync::RwLock;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub model: Arc<RwLock<Model>>,
    /// No identity provider configured: one local user, loopback only.
    pub local_mode: bool,
    /// The OpenID Connect client when single sign-on is configured.
    pub oidc: Option<Arc<crate::auth::oidc::Client>>,
}

pub struct Model {
    pub org: Org,
    /// The store revision the model reflects.
    pub rev: i64,
}

impl AppState {
    /// Opens the model by loading every stored event (start-up only).
    pub async fn new(store: Store, config: Config) -> Result<AppState, StoreError> {
        let org = Org::new(config.core_settings());
        let oidc = if config.auth.enabled() {
            let client = crate::auth::oidc::Client::new(&config)
                .map_err(|e| StoreError::Config(e.to_string()))?;
            Some(Arc::new(client))
        } else {
            None
        };
        let state = AppState {
            store,
            local_mode: oidc.is_none(),
            oidc,
            config: Arc::new(config),
            model: Arc::new(RwLock::new(Model { org, rev: 0 })),
        };
        state.sync().await?;
        Ok(state)
    }

    /// Brings the model up to the store's latest revision, applying only what is new.
    pub async fn sync(&self) -> Result<(), StoreError> {
        let latest = self.store.current_rev().await?;
        if self.model.read().await.rev >= latest {
            return Ok(());
        }
        let mut model = self.model.write().await;
        // Another request may have caught up while we waited for the lock.
        if model.rev >= latest {
            return Ok(());
        }
        let events = self.store.events_between(model.rev, latest).await?;
        let n = events.len();
        let started = std::time::Instant::now();
        // Deriving is CPU work; keep it off the async workers' hot path for big catch-ups.
        let org = std::mem::replace(&mut model.org, Org::new(self.config.core_settings()));
        // Until the update lands, the model is empty: a failure below makes the next sync reload all.
        let previous_rev = std::mem::replace(&mut model.rev, 0);
        let org = tokio::task::spawn_blocking(move || {
            let mut org = org;
            org.apply(events);
            org
        })
        .await
        .map_err(|e| StoreError::Config(format!("model update panicked: {e}")))?;
        model.org = org;
        model.rev = latest;
        tracing::debug!(
            previous_rev,
            events = n,
            rev = latest,
            took_ms = started.elapsed().as_millis() as u64,
            "model synced"
        );
        Ok(())
    }
}
