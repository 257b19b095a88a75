//! Slack notifications about SLOs (docs/slo.md), one pass a minute on one replica:
//!
//! - an SLO whose alert level changed since the last pass (entering or leaving page or ticket)
//!   is told to each owning team with a webhook (`[[slo.slack.teams]]`);
//! - a production deployment whose excess burn passed `slo.slack.excess_burn_percent` of an
//!   SLO's window budget, once its span after has ended (and within a day of that).
//!
//! Each message is first claimed in `slo_notices` under a key naming what it tells and to whom:
//! a key is inserted once across replicas, so a message is never posted twice.

use super::slack::{payload, post, Notice};
use super::view;
use crate::auth::{Principal, ReadScope};
use crate::state::AppState;
use crate::store::now_millis;
use nagare_core::access::Scope;
use nagare_core::api::{AlertLevel, SloStatus};
use std::collections::HashMap;

/// Where each team's messages go (the webhook addresses, read from their files or variables).
#[derive(Clone, Default)]
pub struct Webhooks(pub HashMap<String, String>);

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The addresses are secrets.
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Webhooks {
    /// `[[slo.slack.teams]]` read: each address from its file or environment variable.
    pub fn from_config(c: &crate::config::SlackConfig) -> Result<Webhooks, String> {
        let mut out = HashMap::new();
        for (i, t) in c.teams.iter().enumerate() {
            let url = match (&t.webhook_url_file, &t.webhook_url_env) {
                (Some(f), _) => std::fs::read_to_string(f).map_err(|e| {
                    format!("slo.slack.teams[{i}].webhook_url_file: cannot read {} ({e})", f.display())
                })?,
                (None, Some(v)) => std::env::var(v).map_err(|_| {
                    format!("slo.slack.teams[{i}].webhook_url_env: the environment variable {v} is not set")
                })?,
                (None, None) => continue,
            };
            let url = url.trim().to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!(
                    "slo.slack.teams[{i}]: the webhook address is not an http(s) URL; give the incoming webhook's address (https://hooks.slack.com/services/…)"
                ));
            }
            out.insert(t.team.clone(), url);
        }
        Ok(Webhooks(out))
    }
}

/// The portal's address for links: `slo.slack.link_base`, else the origin of
/// `auth.redirect_url`, else `http://` and the bind address.
pub fn link_base(config: &crate::config::Config) -> String {
    if let Some(b) = &config.slo.slack.link_base {
        return b.trim_end_matches('/').to_owned();
    }
    if let Ok(u) = url::Url::parse(&config.auth.redirect_url) {
        if u.has_host() {
            return u.origin().ascii_serialization();
        }
    }
    format!("http://{}", config.server.bind)
}

/// One pass; a sentence of what it told.
pub async fn pass(
    state: &AppState,
    hooks: &Webhooks,
    client: &reqwest::Client,
) -> anyhow::Result<String> {
    state.slos.refresh_now(&state.store).await?;
    let scope = ReadScope {
        principal: Principal::local(),
        scope: Scope::All,
    };
    let tv = scope
        .open(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let teams = tv.service_teams();
    let now = now_millis();
    let previous: HashMap<String, String> = state
        .store
        .slo_alert_states()
        .await?
        .into_iter()
        .map(|(slo, level, _)| (slo, level))
        .collect();
    let base = link_base(&state.config);
    let threshold = state.config.slo.slack.excess_burn_percent;
    let span = state.slos.attribution;
    let (mut told, mut failed) = (0, 0);
    for e in state.slos.entries().await {
        let owners = teams.get(&e.def.service).cloned().unwrap_or_default();
        let detail = view::detail(state, &tv, &e.def.id, None, false)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let slo = &detail.slo;
        let stored = previous.get(&slo.id);
        let was = stored
            .and_then(|l| l.parse::<AlertLevel>().ok())
            .unwrap_or(AlertLevel::Ok);
        let mut notices: Vec<(String, &'static str, serde_json::Value)> = Vec::new();
        // No events in the shortest alert window (a sync outage, a pause in pushes) is not a
        // recovery: the level is left as it was until there is data again.
        let blind = slo.alerts.iter().all(|a| a.short_burn.is_none());
        // Only the process whose compare and swap moved the level tells of it.
        if was != slo.alert
            && !blind
            && state
                .store
                .swap_slo_alert_state(&slo.id, stored.map(String::as_str), slo.alert.as_str(), now)
                .await?
        {
            let key = format!(
                "alert:{}:{}:{}->{}",
                slo.id,
                now,
                was.as_str(),
                slo.alert.as_str()
            );
            notices.push((
                key,
                "alert",
                payload(Notice::Alert { slo, from: was }, &base),
            ));
        }
        for b in &detail.deployments {
            let ended = b.finished_at.0 + span;
            let recent = ended <= now && now - ended <= 86_400_000;
            if recent && b.excess_budget_percent.is_some_and(|p| p > threshold) {
                let key = format!("burn:{}:{}", slo.id, b.deployment);
                let notice = Notice::Burn {
                    slo,
                    burn: b,
                    threshold,
                    span_hours: span / 3_600_000,
                };
                notices.push((key, "burn", payload(notice, &base)));
            }
        }
        for (key, kind, body) in notices {
            for team in owners.iter().filter(|t| hooks.0.contains_key(*t)) {
                let (t, f) = tell(state, hooks, client, slo, team, &key, kind, &body).await?;
                told += t;
                failed += f;
            }
        }
    }
    Ok(format!("told {told} SLO notices to Slack; {failed} failed"))
}

#[allow(clippy::too_many_arguments)]
async fn tell(
    state: &AppState,
    hooks: &Webhooks,
    client: &reqwest::Client,
    slo: &SloStatus,
    team: &str,
    key: &str,
    kind: &str,
    body: &serde_json::Value,
) -> anyhow::Result<(u32, u32)> {
    let key = format!("{key}:{team}");
    if !state.store.claim_notice(&key, &slo.id, team, kind).await? {
        return Ok((0, 0));
    }
    let Some(url) = hooks.0.get(team) else {
        return Ok((0, 0));
    };
    match post(client, url, body).await {
        Ok(()) => {
            state.store.notice_done(&key, None).await?;
            Ok((1, 0))
        }
        Err(e) => {
            tracing::warn!(slo = %slo.id, team, error = %e, "an SLO notice was not posted to Slack");
            state.store.notice_done(&key, Some(&e)).await?;
            Ok((0, 1))
        }
    }
}
