//! The `compare` phase of a backfill: the commits between successive deployments of each
//! environment, from GitHub's compare API, with their parents.

use super::{text, time_of, Progress, RepoReport, Run, Synth};
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl Run<'_> {
    /// The commits between successive deployments of each environment (since `since`), from
    /// the compare API, with their parents.
    pub(super) async fn compare(
        &self,
        repository: &Value,
        report: &mut RepoReport,
        p: &mut Progress,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<()> {
        self.store
            .backfill_start("github", self.repo, "compare", self.since)
            .await?;
        let r = self.compare_pairs(repository, report, p, progress).await;
        if let Err(e) = &r {
            self.store
                .backfill_failed("github", self.repo, "compare", &format!("{e:#}"))
                .await?;
        }
        r
    }

    async fn compare_pairs(
        &self,
        repository: &Value,
        report: &mut RepoReport,
        p: &mut Progress,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<()> {
        let url = self
            .client
            .url(&format!("/repos/{}/deployments?per_page=100", self.repo));
        let mut by_env: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        let mut next = Some(url);
        'pages: while let Some(u) = next.take() {
            let page = self.client.page(&u, None).await?;
            for d in &page.items {
                let Some(at) = time_of(d, "created_at") else {
                    continue;
                };
                by_env
                    .entry(text(d, "environment"))
                    .or_default()
                    .push((at, text(d, "sha")));
                if at < self.since {
                    // One before `since` is the base of the first pair after it.
                    break 'pages;
                }
            }
            next = page.next;
        }
        let mut pairs = Vec::new();
        for deployments in by_env.values_mut() {
            deployments.sort();
            deployments.dedup_by(|a, b| a.1 == b.1);
            for w in deployments.windows(2) {
                pairs.push((w[0].1.clone(), w[1].1.clone()));
            }
        }
        let total = pairs.len();
        for (i, (base, head)) in pairs.into_iter().enumerate() {
            let first = self.client.url(&format!(
                "/repos/{}/compare/{base}...{head}?per_page=100",
                self.repo
            ));
            let mut url = Some(first);
            let mut n = 0;
            while let Some(u) = url.take() {
                let (v, next) = self.client.get(&u).await?;
                let commits = v["commits"].clone();
                let synth = vec![Synth {
                    event: nagare_core::github::COMPARE,
                    id: format!("backfill:compare:{base}...{head}:{n}"),
                    body: json!({"repository": repository, "commits": commits}),
                }];
                // The phase is done with its last pair's last page.
                let after = (next.is_some() || i + 1 < total).then_some("");
                self.store_page(synth, (self.repo, "compare"), after, None, report)
                    .await?;
                report.pages += 1;
                report.objects += 1;
                p.pages += 1;
                p.objects += 1;
                progress(p);
                n += 1;
                url = next;
            }
        }
        if total == 0 {
            self.store_page(Vec::new(), (self.repo, "compare"), None, None, report)
                .await?;
        }
        Ok(())
    }
}
