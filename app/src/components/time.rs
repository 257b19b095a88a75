//! A timestamp shown relative ("3 h ago"), with the absolute time on hover.

use crate::format;
use leptos::prelude::*;
use nagare_core::Timestamp;

#[component]
pub fn RelativeTime(at: Timestamp) -> impl IntoView {
    let absolute = format::date_time(at);
    let iso = format::rfc3339(at.0);
    view! {
        <time datetime=iso title=absolute>
            {format::relative(at, format::now_millis())}
        </time>
    }
}
