//! Slack messages about SLOs (docs/slo.md): Block Kit payloads for an incoming webhook, posted
//! when an SLO's alert enters or leaves page or ticket, and when a deployment's excess burn
//! passes `slo.slack.excess_burn_percent`. Each links back to the SLO's page.

use nagare_core::api::{AlertLevel, DeploymentBurn, SloStatus};
use serde_json::{json, Value};
use std::time::Duration;

/// What a message tells.
#[derive(Debug, Clone, Copy)]
pub enum Notice<'a> {
    /// The SLO's alert level changed from `from` to the SLO's current one.
    Alert {
        slo: &'a SloStatus,
        from: AlertLevel,
    },
    /// A deployment burned more than the threshold of the SLO's budget.
    Burn {
        slo: &'a SloStatus,
        burn: &'a DeploymentBurn,
        threshold: f64,
        /// The span compared before and after the deployment, in hours.
        span_hours: i64,
    },
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1} %"))
}

fn burn(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2}×"))
}

/// Slack's mrkdwn with `&`, `<` and `>` escaped, as its docs require of user text.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Block Kit payload of `notice`, links under `base` (the portal's address, no trailing `/`).
pub fn payload(notice: Notice<'_>, base: &str) -> Value {
    let base = base.trim_end_matches('/');
    let (slo, headline, fallback) = match notice {
        Notice::Alert { slo, from } => {
            let to = slo.alert;
            let head = match (from, to) {
                (_, AlertLevel::Page) => format!(
                    ":rotating_light: {} is burning its error budget fast (page)",
                    slo.name
                ),
                (_, AlertLevel::Ticket) => format!(
                    ":warning: {} is burning its error budget (ticket)",
                    slo.name
                ),
                (f, AlertLevel::Ok) => format!(
                    ":white_check_mark: {} no longer alerts (was {})",
                    slo.name,
                    f.as_str()
                ),
            };
            let fb = format!("SLO {}: alert {} → {}", slo.id, from.as_str(), to.as_str());
            (slo, head, fb)
        }
        Notice::Burn { slo, burn, .. } => {
            let head = format!(
                ":fire: Deployment {} burned {} of {}'s error budget",
                burn.deployment,
                pct(burn.excess_budget_percent),
                slo.name
            );
            let fb = format!(
                "SLO {}: deployment {} burned {} of the budget",
                slo.id,
                burn.deployment,
                pct(burn.excess_budget_percent)
            );
            (slo, head, fb)
        }
    };
    let link = format!("{base}/slos/{}", urlencode(&slo.id));
    let remaining = slo.budget.map(|b| b.remaining_percent);
    let burn_of = |w: &str| {
        slo.burn_rates
            .iter()
            .find(|b| b.window == w)
            .and_then(|b| b.burn)
    };
    let mut fields = vec![
        json!({"type": "mrkdwn", "text": format!("*Service*\n{}", escape(&slo.service))}),
        json!({"type": "mrkdwn", "text": format!("*Objective*\n{:.3} % over {}", slo.objective * 100.0, slo.window.label)}),
        json!({"type": "mrkdwn", "text": format!("*Budget left*\n{}", pct(remaining))}),
        json!({"type": "mrkdwn", "text": format!("*Burn rate 1h / 6h / 1d*\n{} / {} / {}", burn(burn_of("1h")), burn(burn_of("6h")), burn(burn_of("1d")))}),
    ];
    let mut context = format!("Alert: *{}*", slo.alert.as_str());
    if let Notice::Burn {
        burn: b,
        threshold,
        span_hours,
        ..
    } = notice
    {
        fields.push(json!({"type": "mrkdwn", "text": format!(
            "*Bad events*\n{:.0} after vs {:.0} before (+{:.0})",
            b.total_after - b.good_after, b.total_before - b.good_before, b.excess_bad
        )}));
        fields.push(json!({"type": "mrkdwn", "text": format!("*Finished*\n{}", b.finished_at)}));
        context = format!(
            "Excess burn: bad events in the {span_hours} h after the deployment minus in the {span_hours} h before; told above {threshold} % of the window's budget"
        );
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&headline, 150), "emoji": true}}),
        json!({"type": "section", "fields": fields}),
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(&context)}]}),
    ];
    let mut buttons = vec![
        json!({"type": "button", "text": {"type": "plain_text", "text": "Open the SLO"}, "url": link}),
    ];
    if let Notice::Burn { burn: b, .. } = notice {
        buttons.push(json!({"type": "button", "text": {"type": "plain_text", "text": "Open the deployment"}, "url": format!("{base}/deployments/{}", urlencode(&b.deployment))}));
    }
    blocks.push(json!({"type": "actions", "elements": buttons}));
    json!({"text": escape(&fallback), "blocks": blocks})
}

/// A path segment: everything but RFC 3986's unreserved characters encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// At most `n` characters (Slack refuses a header over 150).
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(n - 1).collect();
    t.push('…');
    t
}

/// Posts `payload` to an incoming webhook. Slack answers `ok`; anything else is an error saying
/// what Slack said (never the address: it is a secret).
pub async fn post(client: &reqwest::Client, url: &str, payload: &Value) -> Result<(), String> {
    let resp = client
        .post(url)
        .timeout(Duration::from_secs(10))
        .json(payload)
        .send()
        .await
        .map_err(|e| {
            format!(
                "the Slack webhook could not be reached ({})",
                if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection failed"
                } else {
                    "request failed"
                }
            )
        })?;
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.text().await.unwrap_or_default();
    let said = nagare_core::text::printable(body.trim(), 200);
    match status.as_u16() {
        200..=299 => Ok(()),
        429 => Err(format!(
            "Slack is rate limiting the webhook (retry after {} s)",
            retry.as_deref().unwrap_or("?")
        )),
        404 | 410 => Err(format!(
            "Slack says the webhook is gone ({status}: {said}); create a new incoming webhook and update the file or variable"
        )),
        403 => Err(format!("Slack refused the message ({status}: {said}); the webhook's channel or app may have been removed")),
        _ => Err(format!("Slack refused the message ({status}: {said})")),
    }
}
