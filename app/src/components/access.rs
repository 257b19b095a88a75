//! The signed-in user in the top bar, and what a page shows to a role too low for it.

use crate::api;
use crate::components::states::{ErrorState, TableSkeleton};
use crate::session::{display_name, role_of, Session};
use crate::strings;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use nagare_core::api::Role;

/// Name, role and teams of the user, with sign-out (`data-test="user-menu"`). In local mode:
/// "Local user · admin", without sign-out.
#[component]
pub fn UserMenu() -> impl IntoView {
    let session = Session::from_context();
    let signing_out = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let sign_out = move |_| {
        signing_out.set(true);
        failed.set(None);
        spawn_local(async move {
            if let Err(e) = api::sign_out().await {
                failed.set(Some(e.to_string()));
                signing_out.set(false);
            }
        });
    };
    move || {
        let info = match session.0.get() {
            None => {
                return view! { <div class="user-menu sk user-menu-loading" aria-hidden="true"></div> }
                    .into_any()
            }
            Some(Err(_)) => return ().into_any(),
            Some(Ok(info)) => info,
        };
        let role = info.role.clone();
        let role_class = format!("badge role-badge role-{}", role_of(&info).as_str());
        let teams = if info.teams.is_empty() {
            strings::NO_TEAM.to_owned()
        } else {
            info.teams.join(", ")
        };
        let teams_title = (!info.sees_all_teams).then_some(strings::OWN_TEAMS_ONLY);
        let local = info.local_mode;
        view! {
            <div class="user-menu" data-test="user-menu" role="group" aria-label=strings::USER_MENU>
                <span class="user-who">
                    <span class="user-name" data-test="user-name" title=info.email.clone()>
                        {display_name(&info)}
                    </span>
                    <span class="user-sep" aria-hidden="true">
                        " · "
                    </span>
                    <span class=role_class data-test="user-role">
                        {strings::role_label(&role).to_owned()}
                    </span>
                </span>
                {(!local)
                    .then(|| {
                        view! {
                            <span class="user-teams" data-test="user-teams" title=teams_title>
                                <span class="visually-hidden">{strings::TEAMS} ": "</span>
                                {teams}
                            </span>
                            <button
                                type="button"
                                class="button button-small"
                                data-test="sign-out"
                                disabled=move || signing_out.get()
                                on:click=sign_out
                            >
                                {move || {
                                    if signing_out.get() {
                                        strings::SIGNING_OUT
                                    } else {
                                        strings::SIGN_OUT
                                    }
                                }}
                            </button>
                        }
                    })}
                {move || {
                    failed
                        .get()
                        .map(|e| {
                            view! {
                                <span class="form-error" role="alert">
                                    {format!("{}: {e}", strings::SIGN_OUT_FAILED)}
                                </span>
                            }
                        })
                }}
            </div>
        }
        .into_any()
    }
}

/// Shows `children` only to a user with at least `role`; others see [`Forbidden`].
#[component]
pub fn RequireRole(role: Role, children: ChildrenFn) -> impl IntoView {
    let session = Session::from_context();
    move || match session.0.get() {
        None => view! { <TableSkeleton columns=6 /> }.into_any(),
        Some(Err(e)) => view! {
            <ErrorState what=strings::WHAT_SESSION error=e on_retry=move || session.0.refetch() />
        }
        .into_any(),
        Some(Ok(info)) if role_of(&info) < role => view! { <Forbidden required=role /> }.into_any(),
        Some(Ok(_)) => children().into_any(),
    }
}

/// A 403: which role the page needs, and who the user is (`data-test="forbidden"`).
#[component]
pub fn Forbidden(required: Role) -> impl IntoView {
    let session = Session::from_context();
    let sentence = move || {
        session.info().map(|info| {
            strings::forbidden(
                strings::role_label(required.as_str()),
                &display_name(&info),
                strings::role_label(&info.role),
            )
        })
    };
    view! {
        <div class="state state-forbidden" role="alert" data-test="forbidden">
            <h1 class="state-title">{strings::FORBIDDEN_TITLE}</h1>
            <p class="state-detail">{sentence}</p>
            <A href="/">{strings::NOT_FOUND_LINK}</A>
        </div>
    }
}
