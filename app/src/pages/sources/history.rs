//! The Sources page's history panels, as HTML (every value from the API escaped): the git
//! mirrors' health, and where each repository's history backfill stands.

use super::{badge_html, esc, table_head as head, time_html};
use crate::format;
use crate::strings;
use nagare_core::api::{BackfillPhase, MirrorSummary};

/// An error under its row, across the table.
fn error_row(columns: usize, lead: &str, error: &str) -> String {
    format!(
        "<tr class=\"row-error\"><td colspan=\"{columns}\"><span class=\"form-error\">{}</span><pre class=\"codeblock\" data-test=\"row-error\"><code>{}</code></pre></td></tr>",
        esc(lead),
        esc(error)
    )
}

/// The git mirrors' health (under the panel's heading).
pub(super) fn mirrors_html(all: &[MirrorSummary]) -> String {
    let mut h = String::new();
    let Some(first) = all.first() else {
        return h + &format!(
            "<p class=\"muted small\" data-test=\"no-mirrors\">{}</p>",
            esc(strings::NO_MIRRORS)
        );
    };
    h += &format!(
        "<p class=\"muted small\">{}</p>",
        esc(&strings::mirrors_caption(first.every_minutes))
    );
    let columns = [
        strings::MIRROR_REPO,
        strings::MIRROR_URL,
        strings::MIRROR_STATE,
        strings::MIRROR_LAST,
        strings::MIRROR_NEW,
        strings::MIRROR_COMMITS,
        strings::MIRROR_TOOK,
    ];
    h += &head(&columns, 4);
    for m in all {
        let state = match (&m.error, m.last_fetch_at) {
            (Some(_), _) => badge_html("bad", strings::MIRROR_FAILED),
            (None, Some(_)) => badge_html("ok", strings::MIRROR_OK),
            (None, None) => badge_html("muted", strings::MIRROR_PENDING),
        };
        let took = if m.last_fetch_at.is_some() {
            format!("{:.1} s", m.last_took_ms as f64 / 1000.0)
        } else {
            "—".into()
        };
        h += &format!(
            "<tr data-test=\"mirror\" data-repo=\"{repo}\"><td class=\"mono\">{repo}</td><td><code>{url}</code></td><td>{state}</td><td>{last}</td><td class=\"num\">{new}</td><td class=\"num\">{commits}</td><td class=\"num\">{took}</td></tr>",
            repo = esc(&m.repo),
            url = esc(&m.url),
            last = time_html(m.last_fetch_at),
            new = m.last_new,
            commits = m.commits,
        );
        if let Some(e) = &m.error {
            let when = m
                .error_at
                .map(|t| format::relative(t, format::now_millis()))
                .unwrap_or_default();
            h += &error_row(columns.len(), &strings::mirror_failed_at(&when), e);
        }
    }
    h + "</tbody></table></div>"
}

/// Where each repository's history backfill stands, phase by phase (under the panel's
/// heading).
pub(super) fn backfill_html(all: &[BackfillPhase]) -> String {
    let mut h = String::new();
    if all.is_empty() {
        return h + &format!(
            "<p class=\"muted small\" data-test=\"no-backfill\">{}</p>",
            esc(strings::NO_BACKFILL)
        );
    }
    h += &format!(
        "<p class=\"muted small\">{}</p>",
        esc(strings::BACKFILL_CAPTION)
    );
    let columns = [
        strings::MIRROR_REPO,
        strings::BACKFILL_PHASE,
        strings::MIRROR_STATE,
        strings::BACKFILL_SINCE,
        strings::BACKFILL_UPDATED,
        strings::BACKFILL_PAGES,
        strings::BACKFILL_ITEMS,
    ];
    h += &head(&columns, 5);
    for p in all {
        let tone = match p.state.as_str() {
            "done" => "ok",
            "failed" => "bad",
            "running" => "info",
            _ => "warn",
        };
        h += &format!(
            "<tr data-test=\"backfill-phase\" data-repo=\"{repo}\" data-phase=\"{phase}\"><td class=\"mono\">{repo}</td><td>{phase_label}</td><td>{state}</td><td>{since}</td><td>{updated}</td><td class=\"num\">{pages}</td><td class=\"num\">{items}</td></tr>",
            repo = esc(&p.repo),
            phase = esc(&p.phase),
            phase_label = esc(&strings::backfill_phase(&p.phase)),
            state = match p.eta_secs {
                Some(eta) => format!(
                    "{} <span class=\"muted small\" data-test=\"backfill-eta\">{}</span>",
                    badge_html(tone, strings::backfill_state(&p.state)),
                    esc(&strings::backfill_eta(eta))
                ),
                None => badge_html(tone, strings::backfill_state(&p.state)),
            },
            since = esc(&format::date(p.since)),
            updated = time_html(Some(p.updated_at)),
            pages = esc(&strings::backfill_pages(p.pages, p.total_pages)),
            items = p.items,
        );
        if let Some(e) = &p.error {
            h += &error_row(columns.len(), strings::BACKFILL_FAILED, e);
        }
    }
    h + "</tbody></table></div>"
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::Timestamp;

    fn mirror(repo: &str, error: Option<&str>, fetched: Option<i64>) -> MirrorSummary {
        MirrorSummary {
            repo: repo.into(),
            url: "https://github.com/acme/api.git".into(),
            commits: 1200,
            last_fetch_at: fetched.map(Timestamp),
            last_new: 7,
            last_took_ms: 2340,
            error: error.map(str::to_owned),
            error_at: error.map(|_| Timestamp(1_767_571_200_000)),
            every_minutes: 15,
        }
    }

    #[test]
    fn mirrors_show_each_state_escaped() {
        let none = mirrors_html(&[]);
        assert!(none.contains("data-test=\"no-mirrors\""), "{none}");
        assert!(none.contains("[[sources.git.mirrors]]"), "{none}");

        let h = mirrors_html(&[
            mirror("acme/api", None, Some(1_767_571_200_000)),
            mirror("acme/<web>", Some("git fetch failed: <refused>"), None),
            mirror("acme/new", None, None),
        ]);
        assert_eq!(h.matches("data-test=\"mirror\"").count(), 3, "{h}");
        assert!(h.contains("Synced every 15 minutes"), "{h}");
        assert!(h.contains("badge-ok\">synced"), "{h}");
        assert!(h.contains("badge-bad\">failed"), "{h}");
        assert!(h.contains("badge-muted\">not synced yet"), "{h}");
        assert!(h.contains("<td class=\"num\">1200</td>"), "{h}");
        assert!(h.contains("2.3 s"), "{h}");
        // Values from the API never become markup.
        assert!(
            h.contains("acme/&lt;web&gt;") && !h.contains("<web>"),
            "{h}"
        );
        assert!(h.contains("git fetch failed: &lt;refused&gt;"), "{h}");
        assert_eq!(h.matches("data-test=\"row-error\"").count(), 1, "{h}");
    }

    #[test]
    fn backfill_phases_show_their_state_and_errors_escaped() {
        let none = backfill_html(&[]);
        assert!(none.contains("data-test=\"no-backfill\""), "{none}");
        assert!(none.contains("GitHub&#39;s REST API"), "{none}");
        let phase = |name: &str, state: &str, error: Option<&str>| BackfillPhase {
            source: "github".into(),
            repo: "acme/<api>".into(),
            phase: name.into(),
            state: state.into(),
            pages: 12,
            items: 1150,
            total_pages: Some(40),
            eta_secs: None,
            since: Timestamp(1_767_571_200_000),
            updated_at: Timestamp(1_767_571_200_000),
            error: error.map(str::to_owned),
        };
        let mut running = phase("issues:sev<1>", "running", None);
        running.eta_secs = Some(150.0);
        let h = backfill_html(&[
            phase("deployments", "done", None),
            phase("runs", "failed", Some("GitHub answered 502 <Bad Gateway>")),
            phase("pulls", "stopped", None),
            running,
        ]);
        assert!(h.contains("12 of 40"), "{h}");
        assert!(h.contains("badge-info\">running</span> <span class=\"muted small\" data-test=\"backfill-eta\">about 3 min left"), "{h}");
        assert_eq!(h.matches("data-test=\"backfill-phase\"").count(), 4, "{h}");
        assert!(h.contains("badge-ok\">done"), "{h}");
        assert!(h.contains("badge-bad\">failed"), "{h}");
        assert!(h.contains("badge-warn\">stopped"), "{h}");
        assert!(h.contains("Workflow runs"), "{h}");
        assert!(h.contains("Issues labelled sev&lt;1&gt;"), "{h}");
        assert!(h.contains("<td class=\"num\">1150</td>"), "{h}");
        assert!(
            h.contains("acme/&lt;api&gt;") && !h.contains("<api>"),
            "{h}"
        );
        assert!(h.contains("502 &lt;Bad Gateway&gt;"), "{h}");
        assert_eq!(h.matches("data-test=\"row-error\"").count(), 1, "{h}");
    }
}
