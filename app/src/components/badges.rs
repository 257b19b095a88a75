//! Small labelled badges: DORA bands and deployment statuses. Colour always comes with a word.

use crate::strings;
use leptos::prelude::*;
use nagare_core::api::Band;

/// A DORA band, coloured and named.
#[component]
pub fn BandBadge(band: Option<Band>) -> impl IntoView {
    let (class, text, title) = match band {
        Some(b) => (format!("band band-{}", b.as_str()), b.as_str(), None),
        None => (
            "band band-none".to_owned(),
            strings::BAND_NONE,
            Some(strings::BAND_NONE_TITLE),
        ),
    };
    view! {
        <span class=class data-test="band" title=title>
            <span class="band-dot" aria-hidden="true"></span>
            {text}
        </span>
    }
}

/// A plain badge with a tone (`ok`, `bad`, `warn`, `info`, `muted`).
#[component]
pub fn Badge(
    tone: &'static str,
    text: String,
    #[prop(optional)] title: Option<String>,
) -> impl IntoView {
    view! {
        <span class=format!("badge badge-{tone}") title=title>
            {text}
        </span>
    }
}

/// The ▸ / ▾ of a row that opens, beside its label.
#[component]
pub fn Chevron(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <span class="chevron" aria-hidden="true">
            {move || if open.get() { "▾" } else { "▸" }}
        </span>
    }
}
