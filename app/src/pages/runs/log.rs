//! A run's log: read once as JSON when the run had ended, else followed live through the
//! browser's `EventSource` (`chunk`, `status` and `end` events; it reconnects from the last
//! chunk by itself). Monospace, each stream marked in words as well as colour, following the
//! newest line unless the reader scrolled up.

use crate::api;
use crate::components::states::ErrorState;
use crate::strings;
use leptos::html::Div;
use leptos::prelude::*;
use leptos::task::spawn_local;
use nagare_core::api::{LogChunk, LogStream, LogSummary, RunStatus};
use std::sync::Arc;

/// A chunk cut into its lines.
#[derive(Debug, PartialEq)]
struct Piece {
    seq: u64,
    stream: LogStream,
    lines: Vec<String>,
}

/// The chunks received so far, in order, each once.
#[derive(Clone, Copy)]
struct Received {
    pieces: RwSignal<Vec<Arc<Piece>>>,
    last_seq: StoredValue<u64>,
}

impl Received {
    fn new() -> Self {
        Received {
            pieces: RwSignal::new(Vec::new()),
            last_seq: StoredValue::new(0),
        }
    }

    /// Adds a chunk unless it came already (after a reconnect).
    fn add(&self, chunk: LogChunk) {
        let Some(last) = self.last_seq.try_get_value() else {
            return;
        };
        if chunk.seq <= last {
            return;
        }
        self.last_seq.set_value(chunk.seq);
        let piece = Piece {
            seq: chunk.seq,
            stream: chunk.stream,
            lines: chunk
                .text
                .split_terminator('\n')
                .map(str::to_owned)
                .collect(),
        };
        self.pieces.try_update(|p| p.push(Arc::new(piece)));
    }
}

/// The run's log. `ended`: whether the run had ended when the page loaded (then the log is
/// read as JSON; else it is followed live). `on_change` is called when the run's status
/// changes or its log ends, to read the run again.
#[component]
pub fn LiveLog(
    id: String,
    ended: bool,
    /// A GitHub or GitLab run: its log is the provider's (the failed step's excerpt).
    #[prop(into)]
    provider: Signal<bool>,
    #[prop(into)] status: Signal<Option<RunStatus>>,
    #[prop(into)] summary: Signal<Option<LogSummary>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let received = Received::new();
    let live = RwSignal::new(false);
    let cut = RwSignal::new(false);
    let failed = RwSignal::new(None::<api::ApiError>);
    let follow = RwSignal::new(true);
    let node = NodeRef::<Div>::new();
    let stream = StoredValue::new_local(None::<sse::Stream>);
    let last_status = StoredValue::new(None::<RunStatus>);

    let read_json = {
        let id = id.clone();
        move || {
            let id = id.clone();
            failed.set(None);
            spawn_local(async move {
                // Page by page (the API answers up to 1000 chunks at a time).
                for _ in 0..1000 {
                    let after = received.last_seq.try_get_value().unwrap_or_default();
                    match api::run_log(id.clone(), after).await {
                        Ok(log) => {
                            let more = !log.chunks.is_empty() && !log.done;
                            for c in log.chunks {
                                received.add(c);
                            }
                            if !more {
                                break;
                            }
                        }
                        Err(e) => {
                            failed.try_set(Some(e));
                            break;
                        }
                    }
                }
            });
        }
    };
    let open = {
        let id = id.clone();
        move || {
            let after = received.last_seq.try_get_value().unwrap_or_default();
            let url = if after > 0 {
                format!("{}?after={after}", api::run_log_stream_url(&id))
            } else {
                api::run_log_stream_url(&id)
            };
            last_status.set_value(status.get_untracked());
            let handlers = sse::Handlers {
                chunk: Box::new(move |c| received.add(c)),
                status: Box::new(move |word: String| {
                    let now = word.parse::<RunStatus>().ok();
                    if last_status.try_get_value().flatten() != now {
                        last_status.try_set_value(now);
                        on_change.run(());
                    }
                }),
                end: Box::new(move || {
                    live.try_set(false);
                    on_change.run(());
                }),
                closed: Box::new(move || {
                    live.try_set(false);
                    cut.try_set(true);
                }),
            };
            cut.set(false);
            let opened = sse::open(&url, handlers);
            live.set(opened.is_some());
            if opened.is_none() {
                cut.set(true);
            }
            stream.set_value(opened);
        }
    };
    if ended {
        read_json();
    } else {
        open();
    }
    on_cleanup(move || {
        stream.try_update_value(|s| {
            s.take();
        });
    });

    // Follow the newest line unless the reader scrolled up.
    Effect::new(move |_| {
        received.pieces.track();
        if follow.get_untracked() {
            request_animation_frame(move || scroll_to_end(node));
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = node.get_untracked() {
            let at_end = el.scroll_top() + el.client_height() >= el.scroll_height() - 8;
            follow.set(at_end);
        }
    };

    let counts = Memo::new(move |_| {
        received.pieces.with(|pieces| {
            let mut c = [0usize; 3];
            for p in pieces {
                let i = match p.stream {
                    LogStream::Stdout => 0,
                    LogStream::Stderr => 1,
                    LogStream::System => 2,
                };
                c[i] += p.lines.len();
            }
            c
        })
    });
    let empty_text = move || match status.get() {
        Some(RunStatus::AwaitingApproval) => strings::LOG_EMPTY_WAITING,
        Some(RunStatus::Queued) => strings::LOG_EMPTY_QUEUED,
        Some(s) if s.is_final() && provider.get() => strings::LOG_EMPTY_PROVIDER,
        Some(s) if s.is_final() => strings::LOG_EMPTY_DONE,
        _ => strings::LOG_EMPTY_RUNNING,
    };
    let truncated = move || {
        summary.get().filter(|s| s.truncated).map(|s| {
            view! {
                <p class="log-truncated" role="note" data-test="log-truncated">
                    <span aria-hidden="true">"✂ "</span>
                    {strings::log_truncated(s.dropped_bytes)}
                </p>
            }
        })
    };
    let retry_json = read_json.clone();

    view! {
        <section class="panel log-panel" data-test="run-log" aria-labelledby="log-heading">
            <div class="panel-head">
                <h2 id="log-heading">
                    {strings::LOG_HEADING}
                    {move || live.get().then(|| view! {
                        " "
                        <span class="badge badge-info log-live" data-test="log-live" title=strings::LOG_LIVE_TITLE>
                            <span aria-hidden="true">"● "</span>
                            {strings::LOG_LIVE}
                        </span>
                    })}
                </h2>
                <span
                    class="muted small log-count"
                    data-test="log-count"
                    data-lines=move || { let c = counts.get(); (c[0] + c[1] + c[2]).to_string() }
                    data-stdout=move || counts.get()[0].to_string()
                    aria-live="polite"
                >
                    {move || {
                        let c = counts.get();
                        strings::log_count(c[0] + c[1] + c[2], c[0], c[1], c[2])
                    }}
                </span>
            </div>
            {truncated}
            {move || failed.get().map(|e| {
                let retry = retry_json.clone();
                view! { <ErrorState what=strings::WHAT_LOG error=e on_retry=move || retry() /> }
            })}
            <div
                class="log"
                node_ref=node
                role="log"
                aria-label=strings::LOG_LABEL
                tabindex="0"
                on:scroll=on_scroll
            >
                <For
                    each=move || received.pieces.get()
                    key=|p| p.seq
                    children=|p| view! { <LogPiece p /> }
                />
                {move || (counts.get() == [0, 0, 0]).then(|| view! {
                    <p class="log-empty" data-test="log-empty">{empty_text}</p>
                })}
            </div>
            <div class="log-foot">
                {move || (!follow.get()).then(|| view! {
                    <button
                        type="button"
                        class="button button-small"
                        data-test="log-follow"
                        on:click=move |_| {
                            follow.set(true);
                            scroll_to_end(node);
                        }
                    >
                        {strings::LOG_FOLLOW}" ↓"
                    </button>
                })}
                {move || cut.get().then(|| {
                    let open = open.clone();
                    view! {
                        <span class="form-error" role="alert" data-test="log-cut">{strings::LOG_CUT}</span>
                        <button type="button" class="button button-small" on:click=move |_| open()>
                            {strings::LOG_RECONNECT}
                        </button>
                    }
                })}
            </div>
        </section>
    }
}

fn scroll_to_end(node: NodeRef<Div>) {
    if let Some(el) = node.get_untracked() {
        el.set_scroll_top(el.scroll_height());
    }
}

/// One chunk's lines; stderr and Nagare's own lines carry a tag in words.
#[component]
fn LogPiece(p: Arc<Piece>) -> impl IntoView {
    let (class, tag, title) = match p.stream {
        LogStream::Stdout => ("log-line log-stdout", "", ""),
        LogStream::Stderr => (
            "log-line log-stderr",
            strings::STREAM_STDERR,
            strings::STREAM_STDERR_TITLE,
        ),
        LogStream::System => (
            "log-line log-system",
            strings::STREAM_SYSTEM,
            strings::STREAM_SYSTEM_TITLE,
        ),
    };
    let stream = p.stream.as_str();
    p.lines
        .iter()
        .map(|line| {
            view! {
                <div class=class data-test="log-line" data-stream=stream>
                    <span class="log-tag" title=title>{tag}</span>
                    <span class="log-text">{line.clone()}</span>
                </div>
            }
        })
        .collect_view()
}

/// The browser's `EventSource`, on wasm only (elsewhere nothing opens).
mod sse {
    use nagare_core::api::LogChunk;

    /// What to do with each kind of event.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub struct Handlers {
        pub chunk: Box<dyn Fn(LogChunk)>,
        pub status: Box<dyn Fn(String)>,
        pub end: Box<dyn Fn()>,
        /// The browser gave up on the stream (it reconnects by itself otherwise).
        pub closed: Box<dyn Fn()>,
    }

    #[cfg(target_arch = "wasm32")]
    pub struct Stream {
        source: web_sys::EventSource,
        _listeners: Vec<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>>,
    }

    #[cfg(target_arch = "wasm32")]
    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    #[cfg(target_arch = "wasm32")]
    pub fn open(url: &str, handlers: Handlers) -> Option<Stream> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        use web_sys::{Event, EventSource, MessageEvent};

        fn data(ev: &Event) -> String {
            ev.dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
                .unwrap_or_default()
        }
        fn source_of(ev: &Event) -> Option<EventSource> {
            ev.target().and_then(|t| t.dyn_into::<EventSource>().ok())
        }

        let source = EventSource::new(url).ok()?;
        let Handlers {
            chunk,
            status,
            end,
            closed,
        } = handlers;
        let mut listeners: Vec<Closure<dyn FnMut(Event)>> = Vec::new();
        let mut listen = |name: &str, f: Closure<dyn FnMut(Event)>| {
            let _ = source.add_event_listener_with_callback(name, f.as_ref().unchecked_ref());
            listeners.push(f);
        };
        listen(
            "chunk",
            Closure::new(move |ev: Event| {
                if let Ok(c) = serde_json::from_str::<LogChunk>(&data(&ev)) {
                    chunk(c);
                }
            }),
        );
        listen("status", Closure::new(move |ev: Event| status(data(&ev))));
        listen(
            "end",
            Closure::new(move |ev: Event| {
                // Closed here, dropped with the page: a closure must outlive its own call.
                if let Some(s) = source_of(&ev) {
                    s.close();
                }
                end();
            }),
        );
        listen(
            "error",
            Closure::new(move |ev: Event| {
                if source_of(&ev).is_some_and(|s| s.ready_state() == EventSource::CLOSED) {
                    closed();
                }
            }),
        );
        Some(Stream {
            source,
            _listeners: listeners,
        })
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub struct Stream;

    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(_url: &str, _handlers: Handlers) -> Option<Stream> {
        None
    }
}
