//! Sources (admins only): each webhook source's set-up and health, the repositories no rule
//! maps with the rule to add, a replay, and the kept deliveries, filtered by source, verdict
//! and event in the URL; a delivery expands to its payload (secrets redacted) and its replay.

mod history;
mod rules;
mod tasks;

use crate::api;
use crate::components::badges::Chevron;
use crate::components::filters::{use_query_updater, FilterSelect};
use crate::components::list::{col, Column, ListTable};
use crate::components::page::{page_param, PageHead};
use crate::components::states::{CardsSkeleton, ErrorState};
use crate::format;
use crate::strings;
use history::{backfill_html, mirrors_html};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use nagare_core::api::{DeliveryQuery, DeliveryRow, SourceSummary, TaskAction};
pub use nagare_core::text::html_escape as esc;
use rules::rules_html;
use tasks::TaskControl;

const PER_PAGE: u32 = 50;
const COLUMNS: [Column; 6] = [
    col(strings::COL_RECEIVED),
    col(strings::COL_SOURCE),
    col(strings::COL_EVENT),
    col(strings::COL_DELIVERY),
    col(strings::COL_VERDICT),
    col(strings::COL_WHY),
];
/// The select's value for "all"; it leaves the URL without the filter.
const ALL: &str = "all";
const SOURCES: [&str; 4] = ["github", "canonical", "api", "import"];

#[derive(Debug, Clone, PartialEq)]
struct Filters {
    source: String,
    verdict: String,
    event: String,
    page: u32,
}

#[component]
pub fn Sources() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.get();
        let word = |k: &str| q.get(k).filter(|v| v != ALL).unwrap_or_default();
        Filters {
            source: word("source"),
            verdict: word("verdict"),
            event: word("event"),
            page: page_param(&q),
        }
    });
    let summary = LocalResource::new(api::sources);
    let mirrors = LocalResource::new(api::git_mirrors);
    let backfill = LocalResource::new(api::backfill);
    let rules = LocalResource::new(api::github_rules);
    let tasks = LocalResource::new(api::source_tasks);
    let list = LocalResource::new(move || {
        let f = filters.get();
        let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        api::deliveries(DeliveryQuery {
            source: some(f.source),
            verdict: some(f.verdict),
            event: some(f.event),
            page: f.page,
            per_page: PER_PAGE,
        })
    });
    let update = use_query_updater();
    let set = move |key: &'static str| {
        let update = update.clone();
        move |v: String| {
            let v = Some(v.trim().to_owned()).filter(|v| v != ALL && !v.is_empty());
            update(vec![(key, v), ("page", None)])
        }
    };
    let options = |all: &str, values: Vec<(&str, &str)>| {
        let mut out = vec![(ALL.to_owned(), all.to_owned())];
        out.extend(
            values
                .into_iter()
                .map(|(v, l)| (v.to_owned(), l.to_owned())),
        );
        out
    };
    let source_options = options(
        strings::ALL_SOURCES,
        SOURCES.iter().map(|s| (*s, *s)).collect(),
    );
    let verdict_options = options(
        strings::ALL_VERDICTS,
        strings::VERDICTS
            .iter()
            .filter(|(v, _)| *v != "duplicate")
            .copied()
            .collect(),
    );
    let selected = move |f: fn(&Filters) -> String| {
        Signal::derive(move || {
            let v = f(&filters.get());
            if v.is_empty() {
                ALL.to_owned()
            } else {
                v
            }
        })
    };
    let set_event = set("event");
    let on_replayed = move || list.refetch();

    view! {
        <div class="page">
            <PageHead title=strings::SOURCES_TITLE caption=strings::SOURCES_CAPTION />
            {move || match summary.get() {
                None => view! { <CardsSkeleton /> }.into_any(),
                Some(Err(e)) => {
                    view! {
                        <ErrorState what=strings::WHAT_SOURCES error=e on_retry=move || summary.refetch() />
                    }
                        .into_any()
                }
                Some(Ok(all)) => {
                    all.into_iter()
                        .map(|s| view! { <SourceCard s on_replayed=Callback::new(move |_| on_replayed()) /> })
                        .collect_view()
                        .into_any()
                }
            }}
            {html_panel(rules, strings::WHAT_RULES, "rules", rules_html)}
            <section class="panel" data-test="mirrors">
                <h2>{strings::MIRRORS_TITLE}</h2>
                <TaskControl
                    action=TaskAction::GitSync
                    tasks
                    on_progress=Callback::new(move |_| mirrors.refetch())
                    on_done=Callback::new(move |_| mirrors.refetch())
                />
                {html_body(mirrors, strings::WHAT_MIRRORS, |m: &Vec<_>| mirrors_html(m))}
            </section>
            <section class="panel" data-test="backfill">
                <h2>{strings::BACKFILL_TITLE}</h2>
                <TaskControl
                    action=TaskAction::Backfill
                    tasks
                    on_progress=Callback::new(move |_| backfill.refetch())
                    on_done=Callback::new(move |_| {
                        backfill.refetch();
                        summary.refetch();
                        list.refetch();
                    })
                />
                {html_body(backfill, strings::WHAT_BACKFILL, |b: &Vec<_>| backfill_html(b))}
            </section>
            <h2 class="section-title">{strings::DELIVERIES_TITLE}</h2>
            <div class="filters" role="group" aria-label=strings::FILTERS>
                <FilterSelect
                    name="source"
                    label=strings::F_SOURCE
                    value=selected(|f| f.source.clone())
                    options=source_options
                    on_change=set("source")
                />
                <FilterSelect
                    name="verdict"
                    label=strings::F_VERDICT
                    value=selected(|f| f.verdict.clone())
                    options=verdict_options
                    on_change=set("verdict")
                />
                <label class="filter" for="filter-event">
                    <span class="filter-label">{strings::F_EVENT}</span>
                    <input
                        id="filter-event"
                        type="search"
                        data-test="filter-event"
                        placeholder=strings::F_EVENT_HINT
                        autocomplete="off"
                        prop:value=move || filters.get().event
                        on:change=move |ev| set_event(event_target_value(&ev))
                    />
                </label>
            </div>
            <ListTable
                list
                columns=&COLUMNS
                row=|d| view! { <DeliveryGroup d /> }.into_any()
                what=strings::WHAT_DELIVERIES
                empty_title=strings::NO_DELIVERIES
                empty_hint=strings::NO_DELIVERIES_HINT
                grouped=true
                test="deliveries-table"
            />
        </div>
    }
}

/// A panel drawn as HTML from an API resource: nothing while it loads, its error with a
/// retry, else `html` of it.
fn html_panel<T: Clone + Send + Sync + 'static>(
    resource: LocalResource<api::ApiResult<T>>,
    what: &'static str,
    test: &'static str,
    html: fn(&T) -> String,
) -> impl IntoView {
    move || match resource.get() {
        Some(Ok(v)) => view! {
            <section class="panel" data-test=test>
                <div inner_html=html(&v)></div>
            </section>
        }
        .into_any(),
        _ => html_body(resource, what, html).into_any(),
    }
}

/// The body of a panel drawn as HTML from an API resource, under a heading the caller draws:
/// nothing while it loads, its error with a retry, else `html` of it.
fn html_body<T: Clone + Send + Sync + 'static>(
    resource: LocalResource<api::ApiResult<T>>,
    what: &'static str,
    html: fn(&T) -> String,
) -> impl IntoView {
    move || match resource.get() {
        None => ().into_any(),
        Some(Err(e)) => {
            view! { <ErrorState what error=e on_retry=move || resource.refetch() /> }.into_any()
        }
        Some(Ok(v)) => view! { <div inner_html=html(&v)></div> }.into_any(),
    }
}

/// The portal's own address, for the webhook URL.
fn origin() -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(o) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return o;
    }
    String::new()
}

/// A replay's outcome, and a button that starts it (`delivery`: only what it touches).
#[component]
fn ReplayButton(
    source: String,
    delivery: Option<i64>,
    label: &'static str,
    on_done: Callback<()>,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<(bool, String)>);
    let busy = RwSignal::new(false);
    let start = move |_| {
        busy.set(true);
        let source = source.clone();
        spawn_local(async move {
            let r = api::replay(source, delivery).await;
            outcome.set(Some(match r {
                Ok(s) => (true, strings::replayed(&s)),
                Err(e) => (false, e.to_string()),
            }));
            busy.set(false);
            on_done.run(());
        });
    };
    view! {
        <div class="form-row">
            <button type="button" class="button" data-test="replay" disabled=move || busy.get() on:click=start>
                {move || if busy.get() { strings::REPLAYING } else { label }}
            </button>
            <span
                data-test="replayed"
                class=move || if outcome.get().is_some_and(|o| !o.0) { "form-error" } else { "muted" }
            >
                {move || outcome.get().map(|o| o.1)}
            </span>
        </div>
    }
}

/// `<time>` as [`crate::components::time::RelativeTime`] draws it, as HTML.
pub(super) fn time_html(t: Option<nagare_core::Timestamp>) -> String {
    match t {
        Some(at) => format!(
            "<time datetime=\"{}\" title=\"{}\">{}</time>",
            esc(&format::rfc3339(at.0)),
            esc(&format::date_time(at)),
            esc(&format::relative(at, format::now_millis()))
        ),
        None => format!("<span class=\"muted\">{}</span>", strings::NONE_YET),
    }
}

pub(super) fn badge_html(tone: &str, text: &str) -> String {
    format!("<span class=\"badge badge-{tone}\">{}</span>", esc(text))
}

/// A source's set-up, health, verdicts and unmapped repositories, as HTML: every value from
/// the API escaped.
fn card_html(s: &SourceSummary) -> String {
    let (tone, state) = if !s.configured {
        ("muted", strings::NOT_CONFIGURED)
    } else if s.last_ping_at.is_some() || s.last_delivery_at.is_some() {
        ("ok", strings::CONNECTED)
    } else {
        ("warn", strings::WAITING)
    };
    let mut h = format!("<h2>{} {}</h2>", esc(&s.name), badge_html(tone, state));
    if !s.configured {
        h += &format!(
            "<p class=\"muted small\">{}</p>",
            esc(&strings::not_configured_hint(
                &s.name,
                s.last_delivery_at.is_some()
            ))
        );
    }
    let mut facts: Vec<(&str, String)> = Vec::new();
    let mut fact = |label: &'static str, value: String| facts.push((label, value));
    fact(
        strings::WEBHOOK_URL,
        format!(
            "<code data-test=\"source-url\">{}{}</code>",
            esc(&origin()),
            esc(&s.webhook_path)
        ),
    );
    fact(
        strings::CONTENT_TYPE,
        format!("<code>{}</code>", esc(&s.content_type)),
    );
    if !s.events.is_empty() {
        let labels: Vec<String> = s.events.iter().map(|e| esc(&e.label)).collect();
        fact(strings::EVENTS_TO_TICK, labels.join(", "));
    }
    fact(strings::LAST_DELIVERY, time_html(s.last_delivery_at));
    fact(strings::LAST_PING, time_html(s.last_ping_at));
    h.push_str("<dl class=\"facts\">");
    for (label, value) in facts {
        h += &format!("<dt>{label}</dt><dd>{value}</dd>");
    }
    h.push_str("</dl><ul class=\"verdicts\" data-test=\"verdicts\">");
    let v = &s.verdicts;
    let counts = [v.accepted, v.duplicate, v.ignored, v.unmapped, v.rejected];
    for ((verdict, label), n) in strings::VERDICTS.iter().zip(counts) {
        let count = format!("<strong class=\"num\">{n}</strong> {label}");
        // Duplicates are not kept again: nothing to list.
        let item = if *verdict == "duplicate" {
            count
        } else {
            format!(
                "<a href=\"?source={}&amp;verdict={verdict}\">{count}</a>",
                esc(&s.name)
            )
        };
        h += &format!("<li data-verdict=\"{verdict}\">{item}</li>");
    }
    h.push_str("</ul>");
    if !s.unmapped.is_empty() {
        h += &format!(
            "<h3>{}</h3><p class=\"muted small\">{}</p>",
            strings::UNMAPPED_TITLE,
            strings::UNMAPPED_HINT
        );
        for u in &s.unmapped {
            h += &format!(
                "<div data-test=\"unmapped-hint\"><strong class=\"mono\">{}</strong> · {} · {}<pre class=\"codeblock\"><code>{}</code></pre></div>",
                esc(&u.key),
                strings::unmapped_count(u.deliveries),
                time_html(Some(u.last_at)),
                esc(&u.rule)
            );
        }
    }
    if !s.unmapped_environments.is_empty() {
        h += &format!(
            "<h3>{}</h3><p class=\"muted small\">{}</p>",
            strings::UNMAPPED_ENV_TITLE,
            esc(strings::UNMAPPED_ENV_HINT)
        );
        for u in &s.unmapped_environments {
            h += &format!(
                "<div data-test=\"unmapped-environment\"><strong class=\"mono\">{}</strong> · {} · {}<pre class=\"codeblock\"><code>{}</code></pre></div>",
                esc(&u.key),
                strings::unmapped_env_count(u.deliveries),
                time_html(Some(u.last_at)),
                esc(&u.rule)
            );
        }
    }
    h
}

/// A table's opening, up to its body: the columns at `numeric` and after are numbers,
/// right-aligned. The caller adds the rows and `</tbody></table></div>`.
pub(super) fn table_head(columns: &[&str], numeric: usize) -> String {
    let mut h = String::from("<div class=\"table-wrap\"><table class=\"table\"><thead><tr>");
    for (i, c) in columns.iter().enumerate() {
        let class = if i >= numeric { " class=\"num\"" } else { "" };
        h += &format!("<th scope=\"col\"{class}>{c}</th>");
    }
    h + "</tr></thead><tbody>"
}

#[component]
fn SourceCard(s: SourceSummary, on_replayed: Callback<()>) -> impl IntoView {
    let replay = (s.configured && !s.events.is_empty()).then(|| {
        view! { <ReplayButton source=s.name.clone() delivery=None label=strings::REPLAY_ALL on_done=on_replayed /> }
    });
    view! {
        <section class="panel" data-test="source-card" data-source=s.name.clone()>
            <div inner_html=card_html(&s)></div>
            {replay}
        </section>
    }
}

/// One delivery, and its payload below it once expanded.
#[component]
fn DeliveryGroup(d: DeliveryRow) -> impl IntoView {
    let open = RwSignal::new(false);
    let detail_id = format!("delivery-{}", d.id);
    let toggle = move |_| open.update(|o| *o = !*o);
    let (id, source, truncated) = (d.id, d.source.clone(), d.truncated);
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    let verdict = badge_html(strings::verdict_tone(&d.verdict), &d.verdict);
    view! {
        <tbody class="group" class:open=move || open.get()>
            <tr data-test="delivery-row" data-verdict=d.verdict.clone() class="clickable" on:click=toggle>
                <td class="nowrap">
                    <button
                        type="button"
                        class="expand"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=detail_id.clone()
                        title=strings::SHOW_PAYLOAD
                    >
                        <Chevron open />
                        " "
                        <span inner_html=time_html(Some(d.received_at))></span>
                    </button>
                </td>
                <td>{d.source.clone()}</td>
                <td class="mono">{dash(&d.event)}</td>
                <td class="mono small">{dash(&d.delivery_id)}</td>
                <td inner_html=verdict></td>
                <td class="message">{d.detail.clone().unwrap_or_default()}</td>
            </tr>
            <Show when=move || open.get()>
                <tr class="detail" id=detail_id.clone()>
                    <td colspan=COLUMNS.len().to_string()>
                        <Payload id source=source.clone() truncated />
                    </td>
                </tr>
            </Show>
        </tbody>
    }
}

/// A delivery's payload, loaded when it is expanded, and its replay.
#[component]
fn Payload(id: i64, source: String, truncated: bool) -> impl IntoView {
    let detail = LocalResource::new(move || api::delivery(id));
    let replay = (!truncated && source == "github").then(|| {
        view! { <ReplayButton source delivery=Some(id) label=strings::REPLAY_ONE on_done=Callback::new(|_| ()) /> }
    });
    let text = move || match detail.get() {
        None => String::new(),
        Some(Err(e)) => e.to_string(),
        Some(Ok(d)) => d.payload.unwrap_or_else(|| strings::NOT_KEPT.to_owned()),
    };
    let note = move || match detail.get() {
        None => String::new(),
        Some(Ok(_)) if truncated => strings::TRUNCATED.to_owned(),
        Some(Ok(d)) => strings::redacted(d.redacted),
        Some(Err(_)) => strings::WHAT_PAYLOAD.to_owned(),
    };
    view! {
        <p class="muted small" aria-busy=move || detail.get().is_none().to_string()>{note}</p>
        <pre class="codeblock payload" data-test="payload"><code>{text}</code></pre>
        {replay}
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn environments_with_no_tier_show_their_rule_escaped() {
        use nagare_core::api::{SourceSummary, UnmappedHint, VerdictCounts};
        let mut s = SourceSummary {
            name: "github".into(),
            configured: true,
            webhook_path: "/hooks/github".into(),
            content_type: "application/json".into(),
            events: Vec::new(),
            last_delivery_at: None,
            last_ping_at: None,
            verdicts: VerdictCounts::default(),
            unmapped: Vec::new(),
            unmapped_environments: Vec::new(),
        };
        assert!(!super::card_html(&s).contains("unmapped-environment"));
        s.unmapped_environments = vec![UnmappedHint {
            key: "eu<live>".into(),
            deliveries: 3,
            last_at: nagare_core::Timestamp(1_767_571_200_000),
            rule: "[sources.github.environments]\n\"eu<live>\" = \"production\"".into(),
        }];
        let h = super::card_html(&s);
        assert_eq!(
            h.matches("data-test=\"unmapped-environment\"").count(),
            1,
            "{h}"
        );
        assert!(
            h.contains("Environments with no tier") && h.contains("3 deployments"),
            "{h}"
        );
        assert!(
            h.contains("eu&lt;live&gt;") && !h.contains("eu<live>"),
            "{h}"
        );
    }

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(esc("owner/repo → ok"), "owner/repo → ok");
    }
}
