//! API tokens (admins only): what they are for, a form to create one (its secret shown once),
//! and the list with revoke.

use crate::api::{self, ApiError};
use crate::components::access::Forbidden;
use crate::components::badges::Badge;
use crate::components::limit_picker::{limit_text, LimitPicker};
use crate::components::page::PageHead;
use crate::components::states::{EmptyState, ErrorState, TableSkeleton};
use crate::components::time::RelativeTime;
use crate::format;
use crate::strings;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nagare_core::api::{ApiTokenRow, CreatedApiToken, NewApiToken, Role, TokenScope};
use nagare_core::Timestamp;

const COLUMNS: usize = 10;

/// Every scope, with its `data-test` name (its wire name), label and what it allows.
const SCOPES: [(TokenScope, &str, &str); 3] = [
    (
        TokenScope::Read,
        TokenScope::Read.as_str(),
        strings::SCOPE_READ_HINT,
    ),
    (
        TokenScope::Ingest,
        TokenScope::Ingest.as_str(),
        strings::SCOPE_INGEST_HINT,
    ),
    (
        TokenScope::Trigger,
        TokenScope::Trigger.as_str(),
        strings::SCOPE_TRIGGER_HINT,
    ),
];

/// `2025-06-30` from a date input → the end of that day in UTC.
pub fn end_of_day_utc(date: &str) -> Option<Timestamp> {
    let date = date.trim();
    if date.len() != 10 {
        return None;
    }
    Timestamp::parse(&format!("{date}T23:59:59Z")).ok()
}

/// `active`, `revoked` or `expired`, with the badge tone.
fn status(row: &ApiTokenRow, now_ms: i64) -> (&'static str, &'static str) {
    if row.revoked_at.is_some() {
        (strings::TOKEN_REVOKED, "bad")
    } else if row.expires_at.is_some_and(|e| e.0 <= now_ms) {
        (strings::TOKEN_EXPIRED, "warn")
    } else {
        (strings::TOKEN_ACTIVE, "ok")
    }
}

#[component]
pub fn Tokens() -> impl IntoView {
    let list = LocalResource::new(api::tokens);
    // A 403 from the API (the role changed since the page loaded): the whole page is the 403.
    let forbidden = Memo::new(move |_| match list.get() {
        Some(Err(e)) if e.is_forbidden() => Some(e.required_role.unwrap_or(Role::Admin)),
        _ => None,
    });
    let created = RwSignal::new(None::<CreatedApiToken>);

    let body = move || match list.get() {
        None => view! { <TableSkeleton columns=COLUMNS /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_TOKENS error=e on_retry=move || list.refetch() />
        }
        .into_any(),
        Some(Ok(rows)) if rows.is_empty() => {
            view! { <EmptyState title=strings::NO_TOKENS hint=strings::NO_TOKENS_HINT /> }
                .into_any()
        }
        Some(Ok(rows)) => {
            let now = format::now_millis();
            view! {
                <div class="table-wrap">
                    <table class="table" data-test="token-table">
                        <thead>
                            <tr>
                                <th scope="col">{strings::COL_NAME}</th>
                                <th scope="col">{strings::COL_PREFIX}</th>
                                <th scope="col">{strings::COL_SCOPES}</th>
                                <th scope="col">{strings::COL_LIMIT}</th>
                                <th scope="col">{strings::COL_CREATED_BY}</th>
                                <th scope="col">{strings::COL_CREATED}</th>
                                <th scope="col">{strings::COL_EXPIRES}</th>
                                <th scope="col">{strings::COL_LAST_USED}</th>
                                <th scope="col">{strings::COL_STATUS}</th>
                                <th scope="col">
                                    <span class="visually-hidden">{strings::COL_ACTIONS}</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|row| {
                                    view! { <TokenLine row now on_revoked=move || list.refetch() /> }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    };

    view! {
        <div class="page">
            <Show
                when=move || forbidden.get().is_none()
                fallback=move || {
                    view! { <Forbidden required=forbidden.get().unwrap_or(Role::Admin) /> }
                }
            >
                <PageHead title=strings::TOKENS_TITLE caption=strings::TOKENS_CAPTION />
                <Explainer />
                <CreateForm created on_created=move || list.refetch() />
                {move || created.get().map(|c| view! { <SecretBox created=c on_done=move || created.set(None) /> })}
                {body}
            </Show>
        </div>
    }
}

/// What tokens are for, with a ready curl line for this server.
#[component]
fn Explainer() -> impl IntoView {
    let origin = web_origin();
    view! {
        <section class="panel explainer" data-test="token-help">
            <p>{code_spans(strings::TOKENS_HOW)}</p>
            <pre class="codeblock"><code>{strings::tokens_curl(&origin)}</code></pre>
            <p class="muted small">{strings::TOKENS_STORED}</p>
        </section>
    }
}

fn web_origin() -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return origin;
    }
    "http://localhost:8080".to_owned()
}

/// Text with `backticked` spans shown as code.
fn code_spans(text: &'static str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                view! { <code>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}

/// Name, scopes and optional expiry; the API's validation errors show under the form.
#[component]
fn CreateForm(
    created: RwSignal<Option<CreatedApiToken>>,
    on_created: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let chosen = SCOPES.map(|_| RwSignal::new(false));
    let expiry = RwSignal::new(String::new());
    let limit_teams = RwSignal::new(Vec::<String>::new());
    let limit_services = RwSignal::new(Vec::<String>::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let invalid = move |field: &'static str| {
        move || {
            error
                .get()
                .is_some_and(|e| e.field.as_deref() == Some(field))
                .then_some("true")
        }
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        // The API checks these too; asking first spares a round trip (and a 400 in the console).
        let local_error = |field: &str, message: &str| {
            error.set(Some(ApiError {
                status: None,
                message: message.to_owned(),
                field: Some(field.to_owned()),
                required_role: None,
            }));
        };
        if name.get_untracked().trim().is_empty() {
            local_error("name", strings::TOKEN_NAME_MISSING);
            return;
        }
        if !chosen.iter().any(|on| on.get_untracked()) {
            local_error("scopes", strings::TOKEN_SCOPES_MISSING);
            return;
        }
        let date = expiry.get_untracked();
        let expires_at = if date.trim().is_empty() {
            None
        } else if let Some(t) = end_of_day_utc(&date) {
            Some(t)
        } else {
            local_error("expires_at", strings::TOKEN_BAD_DATE);
            return;
        };
        let new = NewApiToken {
            name: name.get_untracked(),
            scopes: SCOPES
                .iter()
                .zip(chosen.iter())
                .filter(|(_, on)| on.get_untracked())
                .map(|((scope, _, _), _)| *scope)
                .collect(),
            expires_at,
            teams: limit_teams.get_untracked(),
            services: limit_services.get_untracked(),
        };
        pending.set(true);
        error.set(None);
        created.set(None);
        let on_created = on_created.clone();
        spawn_local(async move {
            match api::create_token(new).await {
                Ok(token) => {
                    created.set(Some(token));
                    name.set(String::new());
                    expiry.set(String::new());
                    limit_teams.set(Vec::new());
                    limit_services.set(Vec::new());
                    for on in chosen {
                        on.set(false);
                    }
                    on_created();
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };

    view! {
        <form class="panel token-form" data-test="token-form" on:submit=submit novalidate>
            <h2>{strings::NEW_TOKEN}</h2>
            <div class="form-row">
                <label class="field" for="token-name">
                    <span class="filter-label">{strings::TOKEN_NAME}</span>
                    <input
                        id="token-name"
                        type="text"
                        data-test="token-name"
                        maxlength="100"
                        autocomplete="off"
                        placeholder=strings::TOKEN_NAME_HINT
                        aria-invalid=invalid("name")
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                </label>
                <fieldset class="field scopes" aria-invalid=invalid("scopes")>
                    <legend class="filter-label">{strings::TOKEN_SCOPES}</legend>
                    {SCOPES
                        .iter()
                        .zip(chosen)
                        .map(|((_, label, hint), on)| {
                            view! {
                                <label class="check" title=*hint>
                                    <input
                                        type="checkbox"
                                        data-test=format!("token-scope-{label}")
                                        value=*label
                                        prop:checked=move || on.get()
                                        on:change=move |ev| on.set(event_target_checked(&ev))
                                    />
                                    <span>
                                        <strong>{*label}</strong>
                                        <span class="muted small">{format!(" — {hint}")}</span>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <label class="field" for="token-expiry">
                    <span class="filter-label">{strings::TOKEN_EXPIRY}</span>
                    <input
                        id="token-expiry"
                        type="date"
                        data-test="token-expiry"
                        aria-invalid=invalid("expires_at")
                        prop:value=move || expiry.get()
                        on:input=move |ev| expiry.set(event_target_value(&ev))
                    />
                    <span class="muted small">{strings::TOKEN_EXPIRY_HINT}</span>
                </label>
            </div>
            <LimitPicker
                teams=limit_teams
                services=limit_services
                invalid=Signal::derive(move || error.get().and_then(|e| e.field))
            />
            <div class="form-actions">
                <button
                    type="submit"
                    class="button button-primary"
                    data-test="token-create"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { strings::TOKEN_CREATING } else { strings::TOKEN_CREATE }}
                </button>
                {move || {
                    error
                        .get()
                        .map(|e| {
                            view! {
                                <p class="form-error" role="alert" data-test="token-error">
                                    {e.message}
                                </p>
                            }
                        })
                }}
            </div>
        </form>
    }
}

/// The new token's secret, shown this once, with a copy button.
#[component]
fn SecretBox(created: CreatedApiToken, on_done: impl Fn() + 'static) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let secret = created.secret.clone();
    let copy = move |_| copy_to_clipboard(&secret, copied);
    view! {
        <section class="secret-box" data-test="token-created" role="status">
            <h2>{strings::token_created(&created.token.name)}</h2>
            <p>{strings::TOKEN_ONCE}</p>
            <div class="secret-row">
                <code class="secret" data-test="token-secret">{created.secret.clone()}</code>
                <button type="button" class="button" data-test="token-copy" on:click=copy>
                    {move || if copied.get() == Some(true) { strings::COPIED } else { strings::COPY }}
                </button>
            </div>
            {move || {
                (copied.get() == Some(false))
                    .then(|| view! { <p class="form-error">{strings::COPY_FAILED}</p> })
            }}
            <button
                type="button"
                class="button"
                data-test="token-secret-dismiss"
                on:click=move |_| on_done()
            >
                {strings::DONE}
            </button>
        </section>
    }
}

/// Writes `text` to the clipboard; `done` turns true or false when the browser answers.
fn copy_to_clipboard(text: &str, done: RwSignal<Option<bool>>) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::prelude::{Closure, JsValue};
        let Some(window) = web_sys::window() else {
            done.set(Some(false));
            return;
        };
        let promise = window.navigator().clipboard().write_text(text);
        let ok = Closure::<dyn FnMut(JsValue)>::new(move |_| done.set(Some(true)));
        let failed = Closure::<dyn FnMut(JsValue)>::new(move |_| done.set(Some(false)));
        let _ = promise.then2(&ok, &failed);
        // Each runs at most once; a copy is rare, so leaving them to the page is fine.
        ok.forget();
        failed.forget();
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = text;
        done.set(Some(false));
    }
}

/// One token, with revoke behind a confirm click (`token-revoke` → `token-revoke-confirm`).
#[component]
fn TokenLine(
    row: ApiTokenRow,
    now: i64,
    on_revoked: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let (status_text, tone) = status(&row, now);
    let revocable = row.revoked_at.is_none();
    let confirming = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = row.id.clone();
    let revoke = move |_| {
        let id = id.clone();
        let on_revoked = on_revoked.clone();
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match api::revoke_token(id).await {
                Ok(_) => on_revoked(),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    confirming.set(false);
                }
            }
            pending.set(false);
        });
    };
    let label = strings::revoke_label(&row.name);
    let actions = move || {
        if !revocable {
            return ().into_any();
        }
        if confirming.get() {
            let revoke = revoke.clone();
            view! {
                <span class="confirm">
                    <button
                        type="button"
                        class="button button-danger"
                        data-test="token-revoke-confirm"
                        disabled=move || pending.get()
                        on:click=revoke
                    >
                        {strings::CONFIRM_REVOKE}
                    </button>
                    <button
                        type="button"
                        class="button"
                        data-test="token-revoke-cancel"
                        on:click=move |_| confirming.set(false)
                    >
                        {strings::CANCEL}
                    </button>
                </span>
            }
            .into_any()
        } else {
            view! {
                <button
                    type="button"
                    class="button"
                    data-test="token-revoke"
                    aria-label=label.clone()
                    on:click=move |_| confirming.set(true)
                >
                    {strings::REVOKE}
                </button>
            }
            .into_any()
        }
    };
    let when = |t: Option<Timestamp>| match t {
        Some(at) => view! { <RelativeTime at /> }.into_any(),
        None => view! { <span class="muted">{strings::NEVER}</span> }.into_any(),
    };
    view! {
        <tr data-test="token-row" data-token-id=row.id.clone() data-status=status_text>
            <td class="nowrap">
                <strong data-test="token-row-name">{row.name.clone()}</strong>
            </td>
            <td class="mono">{format!("{}…", row.prefix)}</td>
            <td>
                <span class="badges">
                    {row
                        .scopes
                        .iter()
                        .map(|s| view! { <Badge tone="info" text=s.as_str().to_owned() /> })
                        .collect_view()}
                </span>
            </td>
            <td data-test="token-limit-text">
                {if row.teams.is_empty() && row.services.is_empty() {
                    view! { <span class="muted">{strings::EVERY_SERVICE}</span> }.into_any()
                } else {
                    view! { <span>{limit_text(&row.teams, &row.services)}</span> }.into_any()
                }}
            </td>
            <td class="mono">{row.created_by.clone()}</td>
            <td>
                <RelativeTime at=row.created_at />
            </td>
            <td data-test="token-expires">{when(row.expires_at)}</td>
            <td data-test="token-last-used">{when(row.last_used_at)}</td>
            <td data-test="token-status">
                <Badge tone text=status_text.to_owned() />
            </td>
            <td class="nowrap actions">
                {actions}
                {move || {
                    error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })
                }}
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_end_of_the_day_in_utc() {
        assert_eq!(
            end_of_day_utc("2030-06-30").map(|t| format::rfc3339(t.0)),
            Some("2030-06-30T23:59:59Z".to_owned())
        );
        assert_eq!(end_of_day_utc(""), None);
        assert_eq!(end_of_day_utc("30/06/2030"), None);
    }

    #[test]
    fn status_follows_revocation_then_expiry() {
        let row = ApiTokenRow {
            id: "a".to_owned(),
            name: "ci".to_owned(),
            scopes: vec![TokenScope::Ingest],
            prefix: "ngr_abcdef".to_owned(),
            created_by: "local".to_owned(),
            created_at: Timestamp(0),
            expires_at: Some(Timestamp(1_000)),
            last_used_at: None,
            revoked_at: None,
            teams: vec![],
            services: vec![],
        };
        assert_eq!(status(&row, 500).0, "active");
        assert_eq!(status(&row, 1_000).0, "expired");
        let revoked = ApiTokenRow {
            revoked_at: Some(Timestamp(10)),
            ..row
        };
        assert_eq!(status(&revoked, 500).0, "revoked");
    }
}
