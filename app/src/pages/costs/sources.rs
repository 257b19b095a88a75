//! `/admin/cost-sources` (admins only): each configured cost source (where, how often, its last
//! poll and result) and each billing period read from them, newest first: its state, version,
//! format, files, rows, skipped rows, billed and effective totals, when it was ingested, its
//! error, and its bad rows (file, row, column, message) on demand.

use super::{code_text, money, text};
use crate::api;
use crate::components::badges::{Badge, Chevron};
use crate::components::page::PageHead;
use crate::components::states::{ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{CostPeriodRow, CostProblem, CostSourceRow, CostSources as Reply};

#[component]
pub fn CostSources() -> impl IntoView {
    let reply = LocalResource::new(api::cost::sources);
    view! {
        <div class="page cost-sources-page">
            <PageHead title=text::SOURCES_TITLE caption=text::SOURCES_CAPTION />
            {move || match reply.get() {
                None => view! { <TableSkeleton columns=6 /> }.into_any(),
                Some(Err(e)) => view! {
                    <ErrorState what=text::WHAT_SOURCES error=e on_retry=move || reply.refetch() />
                }
                .into_any(),
                Some(Ok(r)) if r.sources.is_empty() && r.periods.is_empty() => {
                    view! { <NoSources /> }.into_any()
                }
                Some(Ok(r)) => view! { <Loaded r /> }.into_any(),
            }}
        </div>
    }
}

/// Nothing configured: the configuration that adds a source.
#[component]
fn NoSources() -> impl IntoView {
    view! {
        <div class="state state-empty" data-test="empty-state">
            <p class="state-title">{text::NO_SOURCES}</p>
            <p class="state-detail">{code_text(text::NO_SOURCES_HINT)}</p>
            <pre class="codeblock" data-test="cost-config-snippet"><code>{text::CONFIG_SNIPPET}</code></pre>
            <p class="state-detail">
                {code_text(text::COST_DOCS)}
                " · "
                <a href="/api/docs" rel="external">{strings::API_REFERENCE}</a>
            </p>
        </div>
    }
}

#[component]
fn Loaded(r: Reply) -> impl IntoView {
    let periods = if r.periods.is_empty() {
        view! { <p class="muted" data-test="no-periods">{code_text(text::NO_PERIODS)}</p> }
            .into_any()
    } else {
        let rows = r
            .periods
            .into_iter()
            .map(|p| view! { <PeriodGroup p /> })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="table" data-test="cost-periods">
                    <caption class="visually-hidden">{text::PERIODS_TABLE}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{text::COL_SOURCE}</th>
                            <th scope="col">{text::COL_PERIOD}</th>
                            <th scope="col">{text::COL_STATE}</th>
                            <th scope="col">{text::COL_VERSION}</th>
                            <th scope="col">{text::COL_FORMAT}</th>
                            <th scope="col" class="num">{text::COL_FILES}</th>
                            <th scope="col" class="num">{text::COL_ROWS}</th>
                            <th scope="col" class="num">{text::COL_SKIPPED}</th>
                            <th scope="col" class="num">{text::COL_BILLED}</th>
                            <th scope="col" class="num">{text::COL_EFFECTIVE}</th>
                            <th scope="col">{text::COL_INGESTED}</th>
                            <th scope="col">{text::COL_ERROR}</th>
                        </tr>
                    </thead>
                    {rows}
                </table>
            </div>
        }
        .into_any()
    };
    let imported_only = r.sources.is_empty().then(|| {
        view! { <p class="muted" data-test="imported-only">{code_text(text::IMPORTED_ONLY)}</p> }
    });
    let sources = (!r.sources.is_empty()).then(|| {
        let rows = r.sources.into_iter().map(source_row).collect_view();
        view! {
            <section class="panel" data-test="cost-sources">
                <div class="table-wrap">
                    <table class="table">
                        <caption class="visually-hidden">{text::SOURCES_TABLE}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{text::COL_NAME}</th>
                                <th scope="col">{text::COL_KIND}</th>
                                <th scope="col">{text::COL_LOCATION}</th>
                                <th scope="col">{text::COL_POLL}</th>
                                <th scope="col">{text::COL_LAST_POLL}</th>
                                <th scope="col">{text::COL_LAST_RESULT}</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
        }
    });
    view! {
        {sources}
        {imported_only}
        <h2 class="section-title">{text::PERIODS_TITLE}</h2>
        {periods}
        <p class="muted small">{code_text(text::COST_DOCS)}</p>
    }
}

/// How often a source is read: `every 1 h`, or only by the CLI.
fn poll_text(secs: Option<u64>) -> String {
    match secs {
        Some(s) if s > 0 => text::every(&crate::pages::slos::span_text(s as i64)),
        _ => text::IMPORT_ONLY.to_owned(),
    }
}

fn source_row(s: CostSourceRow) -> impl IntoView {
    view! {
        <tr data-test="cost-source-row" data-source=s.name.clone()>
            <td><strong>{s.name.clone()}</strong></td>
            <td>{s.kind.clone()}</td>
            <td class="mono">{s.location.clone()}</td>
            <td>{poll_text(s.poll_secs)}</td>
            <td>
                {match s.last_poll_at {
                    Some(at) => view! { <RelativeTime at /> }.into_any(),
                    None => view! { <span class="muted">{text::NEVER}</span> }.into_any(),
                }}
            </td>
            <td class="message">{s.last_result.clone().unwrap_or_default()}</td>
        </tr>
    }
}

/// A billing period's state as a badge that says it in words.
fn state_badge(state: &str) -> impl IntoView {
    let tone = match state {
        "ingested" => "ok",
        "failed" => "bad",
        "waiting" => "warn",
        _ => "muted",
    };
    view! {
        <span data-test="period-state" data-state=state.to_owned()>
            <Badge tone text=text::state_label(state).to_owned() title=text::state_title(state).to_owned() />
        </span>
    }
}

/// A version (an ETag or a digest), shortened, whole on hover.
fn short_version(v: &str) -> String {
    let v = v.trim_matches('"');
    if v.chars().count() > 12 {
        format!("{}…", v.chars().take(12).collect::<String>())
    } else {
        v.to_owned()
    }
}

/// One billing period, and its bad rows below it once opened.
#[component]
fn PeriodGroup(p: CostPeriodRow) -> impl IntoView {
    let open = RwSignal::new(false);
    let has_problems = !p.problems.is_empty();
    let detail_id = format!("period-{}-{}", p.source, p.billing_period);
    let problems = p.problems.clone();
    let period_cell = if has_problems {
        view! {
            <button
                type="button"
                class="expand"
                aria-expanded=move || open.get().to_string()
                aria-controls=detail_id.clone()
                title=text::SHOW_PROBLEMS
                data-test="period-problems-toggle"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <Chevron open />
                " "
                {p.billing_period.clone()}
                " · "
                {text::problems(p.problems.len())}
            </button>
        }
        .into_any()
    } else {
        view! { <span>{p.billing_period.clone()}</span> }.into_any()
    };
    let version = p.version.clone().unwrap_or_default();
    let skipped = p.skipped_rows > 0;
    let detail_id2 = format!("period-{}-{}", p.source, p.billing_period);
    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr data-test="cost-period-row" data-source=p.source.clone() data-period=p.billing_period.clone()>
                <td>{p.source.clone()}</td>
                <td class="nowrap">{period_cell}</td>
                <td>{state_badge(&p.state)}</td>
                <td class="mono small" title=version.clone()>{short_version(&version)}</td>
                <td>{p.format.clone().unwrap_or_default()}</td>
                <td class="num">{p.files}</td>
                <td class="num" data-test="period-rows">{p.rows}</td>
                <td class="num" class:excess=skipped>{p.skipped_rows}</td>
                <td class="num" data-test="period-billed" data-raw=p.billed.to_string() title=p.billed.to_string()>{money(p.billed, "")}</td>
                <td class="num" data-test="period-effective" data-raw=p.effective.to_string() title=p.effective.to_string()>{money(p.effective, "")}</td>
                <td class="nowrap">
                    {p.ingested_at.map(|at| view! { <RelativeTime at /> })}
                </td>
                <td class="message">{p.error.clone().unwrap_or_default()}</td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail" id=detail_id2.clone()>
                    <td colspan="12">
                        <Problems list=problems.clone() />
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

#[component]
fn Problems(list: Vec<CostProblem>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|p| {
            let row = if p.row == 0 {
                text::WHOLE_FILE.to_owned()
            } else {
                p.row.to_string()
            };
            view! {
                <tr data-test="cost-problem">
                    <td class="mono small">{p.file}</td>
                    <td class="num">{row}</td>
                    <td class="mono">{p.column}</td>
                    <td class="message">{p.message}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table table-inner">
            <thead>
                <tr>
                    <th scope="col">{text::COL_FILE}</th>
                    <th scope="col" class="num">{text::COL_ROW}</th>
                    <th scope="col">{text::COL_COLUMN}</th>
                    <th scope="col">{text::COL_MESSAGE}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_and_versions_read_plainly() {
        assert_eq!(poll_text(Some(3600)), "every 1 h");
        assert_eq!(poll_text(Some(0)), text::IMPORT_ONLY);
        assert_eq!(poll_text(None), text::IMPORT_ONLY);
        assert_eq!(short_version("\"0123456789abcdef\""), "0123456789ab…");
        assert_eq!(short_version("abc"), "abc");
    }
}
