//! One value per environment tier, indexed by the tier itself.

use crate::events::EnvironmentTier;
use serde::{Deserialize, Serialize};

/// A value for each [`EnvironmentTier`], so that "production" is `per_tier[Production]`, never
/// an array position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PerTier<T>([T; 5]);

#[inline]
fn slot(t: EnvironmentTier) -> usize {
    match t {
        EnvironmentTier::Production => 0,
        EnvironmentTier::Staging => 1,
        EnvironmentTier::Testing => 2,
        EnvironmentTier::Development => 3,
        EnvironmentTier::Other => 4,
    }
}

impl<T> std::ops::Index<EnvironmentTier> for PerTier<T> {
    type Output = T;
    #[inline]
    fn index(&self, t: EnvironmentTier) -> &T {
        &self.0[slot(t)]
    }
}

impl<T> std::ops::IndexMut<EnvironmentTier> for PerTier<T> {
    #[inline]
    fn index_mut(&mut self, t: EnvironmentTier) -> &mut T {
        &mut self.0[slot(t)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tier_has_its_own_value() {
        let mut p: PerTier<u8> = PerTier::default();
        for (i, &t) in EnvironmentTier::ALL.iter().enumerate() {
            p[t] = i as u8 + 1;
        }
        let seen: Vec<u8> = EnvironmentTier::ALL.iter().map(|&t| p[t]).collect();
        assert_eq!(seen, vec![1, 2, 3, 4, 5]);
        assert_eq!(p[EnvironmentTier::Production], 1);
        assert_eq!(EnvironmentTier::ALL.len(), 5);
    }
}
