//! Which team and service a cost row belongs to (issue 13, docs/cost.md): the first configured
//! tag key the row carries with a value (`user:team`, then `team`…), else, for the team, the
//! account's team from the account map. Anything else is unallocated, and shown as such: a cost
//! is never spread over teams by a guess.

use std::collections::BTreeMap;

/// The configured ways to allocate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// Tag keys naming the team, in order of preference.
    pub team_tags: Vec<String>,
    /// Tag keys naming the service, in order of preference.
    pub service_tags: Vec<String>,
    /// Account id → team.
    pub account_teams: BTreeMap<String, String>,
}

/// Where an allocation came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The tag of this key.
    Tag(String),
    /// The account map.
    Account,
    /// Nothing said: unallocated.
    None,
}

/// A row's team and service, and how each was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub team: Option<String>,
    pub team_from: Source,
    pub service: Option<String>,
    pub service_from: Source,
}

/// The first of `keys` that `tags` holds with a non-empty value.
fn tagged(tags: &BTreeMap<String, String>, keys: &[String]) -> Option<(String, String)> {
    keys.iter().find_map(|k| {
        let v = tags.get(k)?.trim();
        (!v.is_empty()).then(|| (v.to_owned(), k.clone()))
    })
}

/// The team and service of a row with `tags`, billed to `account`.
pub fn allocate(tags: &BTreeMap<String, String>, account: &str, rules: &Rules) -> Allocation {
    let (team, team_from) = match tagged(tags, &rules.team_tags) {
        Some((v, k)) => (Some(v), Source::Tag(k)),
        None => match rules.account_teams.get(account) {
            Some(t) => (Some(t.clone()), Source::Account),
            None => (None, Source::None),
        },
    };
    let (service, service_from) = match tagged(tags, &rules.service_tags) {
        Some((v, k)) => (Some(v), Source::Tag(k)),
        None => (None, Source::None),
    };
    Allocation {
        team,
        team_from,
        service,
        service_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn rules() -> Rules {
        Rules {
            team_tags: vec!["user:team".into(), "team".into()],
            service_tags: vec!["user:service".into()],
            account_teams: [("111122223333".to_owned(), "platform".to_owned())].into(),
        }
    }

    #[test]
    fn tags_first_in_order_then_the_account_then_nothing() {
        let r = rules();
        let a = allocate(
            &tags(&[
                ("team", "search"),
                ("user:team", "payments"),
                ("user:service", "ledger"),
            ]),
            "111122223333",
            &r,
        );
        assert_eq!(a.team.as_deref(), Some("payments"));
        assert_eq!(a.team_from, Source::Tag("user:team".into()));
        assert_eq!(a.service.as_deref(), Some("ledger"));
        // An empty first tag: the next key.
        let a = allocate(&tags(&[("user:team", " "), ("team", "search")]), "x", &r);
        assert_eq!(
            (a.team.as_deref(), a.team_from),
            (Some("search"), Source::Tag("team".into()))
        );
        assert_eq!((a.service, a.service_from), (None, Source::None));
        // No team tag: the account's team.
        let a = allocate(&tags(&[]), "111122223333", &r);
        assert_eq!(
            (a.team.as_deref(), a.team_from),
            (Some("platform"), Source::Account)
        );
        // Neither: unallocated, never guessed.
        let a = allocate(&tags(&[("owner", "someone")]), "999", &r);
        assert_eq!((a.team, a.team_from), (None, Source::None));
    }
}
