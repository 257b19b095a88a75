//! Which deployment of a chain each commit is assigned to. A chain usually owns most of its
//! repository's commits, so they are a column indexed by commit id (4 bytes a commit, and no
//! hashing on the walk); commits far beyond what the column covers, as when many services
//! share one repository and each owns a sparse part of it, go to a map instead.

use super::collections::FxMap;
use super::ids::{CommitId, DepId, Id};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Owners {
    /// The owner of commit `i`, for `i < dense.len()`.
    dense: Vec<Option<DepId>>,
    /// Owners of commits at or past `dense.len()`.
    sparse: FxMap<CommitId, DepId>,
    /// Commits with an owner, in both.
    len: usize,
}

impl Owners {
    #[inline]
    pub(crate) fn get(&self, x: &CommitId) -> Option<&DepId> {
        match self.dense.get(x.index()) {
            Some(o) => o.as_ref(),
            None => self.sparse.get(x),
        }
    }

    #[inline]
    pub(crate) fn contains_key(&self, x: &CommitId) -> bool {
        self.get(x).is_some()
    }

    pub(crate) fn insert(&mut self, x: CommitId, d: DepId) {
        let i = x.index();
        if i >= self.dense.len() {
            // Widen the column when it would stay at least a quarter full; else the map.
            let want = (i + 1).max(self.dense.len() * 2);
            if (self.len + 1) * 4 >= want {
                self.widen(want);
            } else {
                if self.sparse.insert(x, d).is_none() {
                    self.len += 1;
                }
                return;
            }
        }
        if self.dense[i].replace(d).is_none() {
            self.len += 1;
        }
    }

    pub(crate) fn remove(&mut self, x: &CommitId) {
        let gone = match self.dense.get_mut(x.index()) {
            Some(o) => o.take().is_some(),
            None => self.sparse.remove(x).is_some(),
        };
        if gone {
            self.len -= 1;
        }
    }

    /// Grows the column to `n` commits, moving the map's entries below `n` into it.
    fn widen(&mut self, n: usize) {
        self.dense.resize(n, None);
        let dense = &mut self.dense;
        self.sparse.retain(|x, d| match dense.get_mut(x.index()) {
            Some(slot) => {
                *slot = Some(*d);
                false
            }
            None => true,
        });
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.dense.shrink_to_fit();
        self.sparse.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column and the map together behave as one map, whatever the order of ids.
    #[test]
    fn behaves_as_a_map() {
        let mut o = Owners::default();
        let mut m: std::collections::HashMap<usize, usize> = Default::default();
        let mut x: u64 = 7;
        for step in 0..20_000usize {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly dense ids, and some far away (a sparse owner in a big shared repository).
            let id = if step.is_multiple_of(10) {
                (x >> 20) as usize % 5_000_000
            } else {
                (x >> 33) as usize % 3_000
            };
            let c = CommitId::from_index(id);
            if (x >> 7).is_multiple_of(3) {
                o.remove(&c);
                m.remove(&id);
            } else {
                let d = DepId::from_index(step % 97);
                o.insert(c, d);
                m.insert(id, step % 97);
            }
        }
        assert_eq!(o.len, m.len());
        for (&id, &d) in &m {
            assert_eq!(
                o.get(&CommitId::from_index(id)),
                Some(&DepId::from_index(d))
            );
        }
        for id in 0..3_000 {
            assert_eq!(
                o.contains_key(&CommitId::from_index(id)),
                m.contains_key(&id)
            );
        }
        assert!(
            o.dense.len() < 100_000,
            "far ids stay in the map: {}",
            o.dense.len()
        );
    }
}
