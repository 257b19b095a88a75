//! Typed ids of the model's records, and vectors indexed by them.
//!
//! Every record kind is kept in a dense vector and named by its position. The newtypes keep a
//! deployment's position from being used as a commit's, and `Option<Id>` says "none" where a
//! bare `u32::MAX` used to: an id holds its position plus one in a `NonZeroU32`, so an
//! `Option` of it is still four bytes.

use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::num::NonZeroU32;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub(crate) struct $name(NonZeroU32);

        impl Id for $name {
            #[inline]
            fn from_index(i: usize) -> Self {
                // Positions are below u32::MAX: the model refuses nothing but no vector of
                // records reaches four billion.
                $name(NonZeroU32::MIN.saturating_add(i as u32))
            }
            #[inline]
            fn index(self) -> usize {
                (self.0.get() - 1) as usize
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.index())
            }
        }
    )*};
}

/// A dense position, typed.
pub(crate) trait Id: Copy + Eq {
    fn from_index(i: usize) -> Self;
    fn index(self) -> usize;
}

ids! {
    /// A service, by name (`Org::service_names`).
    ServiceId;
    /// A deployment, by (source, id) (`Org::dep_slot`).
    DepId;
    /// A commit within its repository's graph (`Repo::shas`).
    CommitId;
    /// A repository, by name (`Org::repo_names`).
    RepoId;
    /// An incident, by (source, id) (`Org::inc_keys`).
    IncidentId;
    /// A pull request, by (source, repo#id) (`Org::pr_keys`).
    PrId;
    /// A pipeline run, by (source, provider:id) (`Org::run_keys`).
    RunId;
    /// A (service, tier) chain of successful deployments (`Org::chains`).
    ChainId;
    /// An event source, by name (`Org::sources`).
    SourceId;
    /// A deployment environment's name (`Org::environments`).
    EnvId;
    /// A deployed sha (`Org::dep_shas`).
    ShaId;
    /// A deployment's id, as text (`Org::dep_names`); one per id whatever its sources.
    DepName;
    /// A changed path within its repository (`Repo::path_names`).
    PathId;
    /// A word of a pipeline run interned once for all runs: a provider, workflow, branch,
    /// job name, status (`Org::labels`).
    LabelId;
}

/// A vector of records indexed by their typed id.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub(crate) struct IdVec<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

impl<I, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec {
            items: Vec::new(),
            id: PhantomData,
        }
    }
}

impl<I: Id, T> IdVec<I, T> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
    /// Appends a record; returns its id.
    pub(crate) fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::from_index(self.items.len() - 1)
    }
    /// The id the next `push` returns.
    pub(crate) fn next_id(&self) -> I {
        I::from_index(self.items.len())
    }
    #[inline]
    pub(crate) fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.index())
    }
    pub(crate) fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.items.get_mut(id.index())
    }
    pub(crate) fn shrink_to_fit(&mut self) {
        self.items.shrink_to_fit();
    }
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
    /// (id, record) pairs in id order.
    pub(crate) fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| (I::from_index(i), t))
    }
    /// Every id, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = I> {
        (0..self.items.len()).map(I::from_index)
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<I, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        IdVec {
            items: iter.into_iter().collect(),
            id: PhantomData,
        }
    }
}

impl<I: Id, T> std::ops::Index<I> for IdVec<I, T> {
    type Output = T;
    #[inline]
    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> std::ops::IndexMut<I> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positions_and_none_costs_nothing() {
        assert_eq!(std::mem::size_of::<Option<DepId>>(), 4);
        let mut v: IdVec<DepId, &str> = IdVec::default();
        let a = v.push("a");
        let b = v.push("b");
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!((v[a], v[b]), ("a", "b"));
        assert_eq!(v.next_id().index(), 2);
        assert_eq!(v.ids().collect::<Vec<_>>(), vec![a, b]);
        assert!(a < b);
        assert_eq!(format!("{a:?}"), "DepId(0)");
    }
}
