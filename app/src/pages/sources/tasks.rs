//! The Sources page's buttons that start background work: a GitHub history backfill and a
//! sync of the git mirrors. Each asks the API to queue a task, says where the latest task of
//! its kind stands, and while one is open refreshes it and the panel it changes every two
//! seconds.

use crate::api::{self, ApiResult};
use crate::components::filters::FilterSelect;
use crate::components::states::ErrorState;
use crate::format;
use crate::strings;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nagare_core::api::{
    BackfillRequest, SourceTask, SourceTasks, SyncRequest, TaskAction, TaskAvailability, TaskState,
};
use std::time::Duration;

const POLL: Duration = Duration::from_secs(2);
/// The repository select's value for "all of them".
const ALL: &str = "all";

fn open(t: &SourceTask) -> bool {
    matches!(t.state, TaskState::Queued | TaskState::Running)
}

/// The sentence for the latest task of a kind.
fn line(t: &SourceTask) -> String {
    let when_at = match t.state {
        TaskState::Queued => Some(t.requested_at),
        TaskState::Running => t.started_at,
        TaskState::Done | TaskState::Failed => t.finished_at,
    }
    .unwrap_or(t.requested_at);
    let when = format::relative(when_at, format::now_millis());
    let (what, scope) = match t.action {
        TaskAction::Backfill => (
            strings::TASK_BACKFILL,
            strings::backfill_scope(t.repo.as_deref(), t.since.map(format::date).as_deref()),
        ),
        TaskAction::GitSync => (
            strings::TASK_SYNC,
            t.repo
                .clone()
                .unwrap_or_else(|| strings::ALL_MIRRORS.to_lowercase()),
        ),
    };
    strings::task_line(
        what,
        t.state,
        &scope,
        &t.requested_by,
        &when,
        t.outcome.as_deref(),
    )
}

/// A button that queues `action`, its options, and the latest task of its kind.
/// `on_progress` refreshes what the task changes as it runs; `on_done`, once it has finished,
/// whatever else it changed.
#[component]
pub(super) fn TaskControl(
    action: TaskAction,
    tasks: LocalResource<ApiResult<SourceTasks>>,
    on_progress: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    // Each part changes only when its value does, so that a refresh every two seconds
    // redraws only the line that says where the task stands, not the form.
    let availability = Memo::new(move |_| -> Option<TaskAvailability> {
        let t = tasks.get()?.ok()?;
        Some(match action {
            TaskAction::Backfill => t.backfill,
            TaskAction::GitSync => t.git_sync,
        })
    });
    let failure = Memo::new(move |_| tasks.get().and_then(Result::err));
    let latest = Memo::new(move |_| -> Option<SourceTask> {
        tasks
            .get()?
            .ok()?
            .tasks
            .into_iter()
            .find(|t| t.action == action)
    });
    let history = RwSignal::new(strings::BACKFILL_DEFAULT_HISTORY.to_owned());
    let was_open = StoredValue::new(false);
    let repo = RwSignal::new(ALL.to_owned());
    let busy = RwSignal::new(false);
    let refused = RwSignal::new(None::<String>);

    // While a task is open: refresh it, and what it changes, every two seconds; once it has
    // finished, what it changed once more.
    Effect::new(move |_| {
        let Some(t) = latest.get() else { return };
        if open(&t) {
            was_open.set_value(true);
            if let Ok(h) = set_timeout_with_handle(
                move || {
                    tasks.refetch();
                    on_progress.run(());
                },
                POLL,
            ) {
                on_cleanup(move || h.clear());
            }
        } else if was_open.get_value() {
            was_open.set_value(false);
            on_done.run(());
        }
    });

    let start = move |_| {
        busy.set(true);
        refused.set(None);
        let chosen = Some(repo.get_untracked()).filter(|r| r != ALL);
        let since = history.get_untracked();
        spawn_local(async move {
            let r = match action {
                TaskAction::Backfill => {
                    api::start_backfill(BackfillRequest {
                        since: Some(since),
                        repo: chosen,
                    })
                    .await
                }
                TaskAction::GitSync => api::start_sync(SyncRequest { repo: chosen }).await,
            };
            match r {
                // It may be done before the next refresh shows it open: what it changed is
                // refreshed once it shows as finished, whichever state is seen first.
                Ok(_) => was_open.set_value(true),
                Err(e) => refused.set(Some(e.to_string())),
            }
            busy.set(false);
            tasks.refetch();
        });
    };
    let (test, label, starting, all_label) = match action {
        TaskAction::Backfill => (
            "backfill-control",
            strings::BACKFILL_START,
            strings::BACKFILL_STARTING,
            strings::ALL_REPOSITORIES,
        ),
        TaskAction::GitSync => (
            "sync-control",
            strings::SYNC_START,
            strings::SYNC_STARTING,
            strings::ALL_MIRRORS,
        ),
    };
    let repo_options = Signal::derive(move || {
        let mut out = vec![(ALL.to_owned(), all_label.to_owned())];
        if let Some(a) = availability.get() {
            out.extend(a.repos.into_iter().map(|r| (r.clone(), r)));
        }
        out
    });
    let history_select = move || {
        (action == TaskAction::Backfill).then(|| {
            let options: Vec<(String, String)> = strings::HISTORY_CHOICES
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect();
            view! {
                <FilterSelect
                    name="backfill-since"
                    label=strings::F_HISTORY
                    value=history
                    options
                    on_change=move |v| history.set(v)
                />
            }
        })
    };
    let disabled = move || busy.get() || latest.get().is_some_and(|t| open(&t));

    let state_line = move || {
        latest.get().map(|t| {
            let class = if t.state == TaskState::Failed {
                "form-error small"
            } else {
                "muted small"
            };
            view! {
                <p class=class data-test="task-line" data-state=t.state.as_str()>
                    {line(&t)}
                </p>
            }
        })
    };
    move || {
        if let Some(e) = failure.get() {
            return view! {
                <ErrorState what=strings::WHAT_TASKS error=e on_retry=move || tasks.refetch() />
            }
            .into_any();
        }
        let Some(a) = availability.get() else {
            return ().into_any();
        };
        if !a.available {
            // Without mirrors, the panel already says how to add one.
            return match (action, a.reason) {
                (TaskAction::Backfill, Some(why)) => view! {
                    <p class="muted small" data-test="task-unavailable">
                        {strings::backfill_unavailable(why.trim_end_matches('.'))}
                    </p>
                }
                .into_any(),
                _ => ().into_any(),
            };
        }
        view! {
            <div class="task-control" data-test=test>
                <div class="filters" role="group" aria-label=label>
                    {history_select()}
                    <FilterSelect
                        name=if action == TaskAction::Backfill { "backfill-repo" } else { "sync-repo" }
                        label=strings::F_REPOSITORY
                        value=repo
                        options=repo_options
                        on_change=move |v| repo.set(v)
                    />
                    <button
                        type="button"
                        class="button button-primary"
                        data-test="task-start"
                        disabled=disabled
                        on:click=start
                    >
                        {move || if busy.get() { starting } else { label }}
                    </button>
                </div>
                {state_line}
                <p class="form-error small" data-test="task-refused">
                    {move || refused.get()}
                </p>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::Timestamp;

    fn task(state: TaskState, outcome: Option<&str>) -> SourceTask {
        SourceTask {
            id: 7,
            action: TaskAction::Backfill,
            repo: Some("acme/api".into()),
            since: Some(Timestamp(1_767_571_200_000)),
            requested_by: "alice".into(),
            requested_at: Timestamp(1_767_571_200_000),
            started_at: Some(Timestamp(1_767_571_260_000)),
            finished_at: None,
            state,
            outcome: outcome.map(str::to_owned),
        }
    }

    #[test]
    fn each_state_reads_as_a_sentence() {
        let queued = line(&task(TaskState::Queued, None));
        assert!(
            queued.starts_with("Backfill of acme/api since 2026-01-05 asked for")
                && queued.ends_with("by alice: waiting for the background job to take it."),
            "{queued}"
        );
        let running = line(&task(TaskState::Running, None));
        assert!(running.contains("running since"), "{running}");
        let failed = line(&task(TaskState::Failed, Some("acme/api: 404")));
        assert!(
            failed.starts_with("Last backfill (acme/api since 2026-01-05, asked by alice) failed")
                && failed.ends_with(": acme/api: 404"),
            "{failed}"
        );
        let mut sync = task(TaskState::Done, Some("2 mirrors: 5 new commits"));
        sync.action = TaskAction::GitSync;
        sync.repo = None;
        let done = line(&sync);
        assert!(
            done.starts_with("Last sync (every mirror, asked by alice) finished")
                && done.ends_with(": 2 mirrors: 5 new commits"),
            "{done}"
        );
        assert!(open(&task(TaskState::Queued, None)) && !open(&sync));
    }
}
