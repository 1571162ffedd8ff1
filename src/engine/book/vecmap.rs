//! `VecMap`: the wallet's and the portfolio's small sorted map.

/// A small map kept sorted by key in a vector: the wallet (asset index → amount) and the
/// positions (id → position). A run holds a handful of each and the engine reads them
/// all every step; a vector iterates in the same ascending order as the `BTreeMap` it
/// replaces, far more cheaply, and taking it out and putting it back costs nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

/// Asset (book index) → amount.
pub type Wallet = VecMap<usize, f64>;

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord + Copy, V> VecMap<K, V> {
    fn find(&self, k: K) -> Result<usize, usize> {
        self.0.binary_search_by(|e| e.0.cmp(&k))
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(*k).ok().map(|p| &self.0[p].1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        match self.find(*k) {
            Ok(p) => Some(&mut self.0[p].1),
            Err(_) => None,
        }
    }

    /// The value of `k`, inserted as the default if absent (as
    /// `BTreeMap::entry(k).or_default()`).
    pub fn entry(&mut self, k: K) -> VecMapEntry<'_, K, V> {
        VecMapEntry { map: self, k }
    }

    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(k) {
            Ok(p) => Some(std::mem::replace(&mut self.0[p].1, v)),
            Err(p) => {
                self.0.insert(p, (k, v));
                None
            }
        }
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(*k).ok().map(|p| self.0.remove(p).1)
    }

    /// The key and value in slot `k` (0-based, in key order).
    pub fn slot(&self, k: usize) -> (K, &V) {
        (self.0[k].0, &self.0[k].1)
    }

    /// The value in slot `k`.
    pub fn slot_mut(&mut self, k: usize) -> &mut V {
        &mut self.0[k].1
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
}

impl<K: Ord + Copy, V> std::ops::Index<&K> for VecMap<K, V> {
    type Output = V;
    // Keys are the engine's own ids (never input): a missing one is a bug of ours.
    #[allow(clippy::expect_used)]
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("a key of the map")
    }
}

type Pair<'a, K, V> = (&'a K, &'a V);

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = Pair<'a, K, V>;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> Pair<'a, K, V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// `VecMap::entry`'s handle.
pub struct VecMapEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    k: K,
}

impl<'a, K: Ord + Copy, V: Default> VecMapEntry<'a, K, V> {
    pub fn or_default(self) -> &'a mut V {
        let p = match self.map.find(self.k) {
            Ok(p) => p,
            Err(p) => {
                self.map.0.insert(p, (self.k, V::default()));
                p
            }
        };
        &mut self.map.0[p].1
    }
}
