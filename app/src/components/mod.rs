//! Reusable pieces of the pages: states, filters, badges, paging, and the metric card.

pub mod access;
pub mod badges;
pub mod filters;
pub mod limit_picker;
pub mod list;
pub mod metric_card;
pub mod page;
pub mod paging;
pub mod quick_check;
pub mod states;
pub mod time;
