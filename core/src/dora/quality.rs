//! The data-quality counts of a report, said in sentences.

use crate::api::DataQuality;

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One human sentence per non-zero data-quality count.
pub(crate) fn notes(dq: &DataQuality) -> Vec<String> {
    let mut out = Vec::new();
    let n = dq.negative_lead_times;
    if n > 0 {
        out.push(format!(
            "{} a negative lead time (deployed before {} made) and {} left out.",
            plural(n, "change had", "changes had"),
            if n == 1 { "it was" } else { "they were" },
            if n == 1 { "was" } else { "were" },
        ));
    }
    let n = dq.incomplete_graph_deployments;
    if n > 0 {
        out.push(format!(
            "{} an incomplete commit graph (an unknown deployed sha or missing parent commits); {} changes may be undercounted.",
            plural(n, "deployment had", "deployments had"),
            if n == 1 { "its" } else { "their" },
        ));
    }
    let n = dq.fallback_changes;
    if n > 0 {
        out.push(format!(
            "{} taken from pushed commit lists because the commit graph was incomplete.",
            plural(n, "change was", "changes were"),
        ));
    }
    let n = dq.baseline_deployments;
    if n > 0 {
        out.push(format!(
            "{} the first of {} service and tier: {} only set a baseline, so {} changes count for no lead time.",
            plural(n, "deployment was", "deployments were"),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "it" } else { "they" },
            if n == 1 { "its" } else { "their" },
        ));
    }
    let n = dq.unattributed_incidents;
    if n > 0 {
        out.push(format!(
            "{} attributed to no deployment and {} in no deployment metric.",
            plural(n, "incident was", "incidents were"),
            if n == 1 { "counts" } else { "count" },
        ));
    }
    out
}
