//! The lookups of bearer tokens, kept for a few seconds so that a request costs no query, and
//! bounded: a stream of random tokens can fill the cache of unknown ones, but only up to its size,
//! the oldest entry making room for the newest.

use crate::store::Actor;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How long a lookup is trusted before the database is asked again (so a revoked token stops
/// working within this time without a query per request).
pub const TTL: Duration = Duration::from_secs(5);
/// Most tokens that resolved to a caller kept at once.
pub const KNOWN_MAX: usize = 10_000;
/// Most unknown or revoked tokens kept at once.
pub const UNKNOWN_MAX: usize = 1_000;

#[derive(Debug, Default)]
pub struct TokenCache {
    known: HashMap<String, (Actor, Instant)>,
    /// Unknown hash → when it was looked up, and the sequence number of that lookup.
    unknown: HashMap<String, (Instant, u64)>,
    /// Unknown hashes by sequence number, oldest first (an entry is stale when its hash was looked
    /// up again since).
    unknown_order: VecDeque<(String, u64)>,
    sequence: u64,
}

impl TokenCache {
    /// A fresh lookup of `hash`: `Some(Some(caller))`, `Some(None)` for an unknown token, `None`
    /// when the database must be asked.
    pub fn get(&self, hash: &str, now: Instant) -> Option<Option<Actor>> {
        if let Some((actor, at)) = self.known.get(hash)
            && now.duration_since(*at) < TTL
        {
            return Some(Some(actor.clone()));
        }
        match self.unknown.get(hash) {
            Some((at, _)) if now.duration_since(*at) < TTL => Some(None),
            _ => None,
        }
    }

    /// Forgets every known caller, so that the next request of each asks the database (after
    /// this instance revoked a token).
    pub fn forget_known(&mut self) {
        self.known.clear();
    }

    pub fn put(&mut self, hash: String, actor: Option<Actor>, now: Instant) {
        match actor {
            Some(actor) => {
                self.unknown.remove(&hash);
                if self.known.len() >= KNOWN_MAX && !self.known.contains_key(&hash) {
                    self.known
                        .retain(|_, (_, at)| now.duration_since(*at) < TTL);
                    if self.known.len() >= KNOWN_MAX {
                        // Everything is fresh: forget one; it is looked up again when next used.
                        let any = self.known.keys().next().cloned();
                        if let Some(k) = any {
                            self.known.remove(&k);
                        }
                    }
                }
                self.known.insert(hash, (actor, now));
            }
            None => {
                self.known.remove(&hash);
                while self.unknown.len() >= UNKNOWN_MAX && !self.unknown.contains_key(&hash) {
                    let Some((old, seq)) = self.unknown_order.pop_front() else {
                        break;
                    };
                    if self.unknown.get(&old).is_some_and(|(_, s)| *s == seq) {
                        self.unknown.remove(&old);
                    }
                }
                self.sequence += 1;
                self.unknown.insert(hash.clone(), (now, self.sequence));
                self.unknown_order.push_back((hash, self.sequence));
                // Stale order entries never outnumber the live ones by much.
                if self.unknown_order.len() > 2 * UNKNOWN_MAX {
                    let unknown = &self.unknown;
                    self.unknown_order
                        .retain(|(h, seq)| unknown.get(h).is_some_and(|(_, s)| s == seq));
                }
            }
        }
    }

    /// Entries held: (known, unknown).
    pub fn len(&self) -> (usize, usize) {
        (self.known.len(), self.unknown.len())
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty() && self.unknown.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Role;

    #[test]
    fn random_tokens_never_grow_the_cache_past_its_bound() {
        let mut cache = TokenCache::default();
        let now = Instant::now();
        let planner = Actor {
            label: "planner".into(),
            role: Role::Planner,
        };
        cache.put("good".into(), Some(planner.clone()), now);
        for k in 0..20_000 {
            cache.put(format!("random-{k}"), None, now);
            // The same unknown token twice takes one entry.
            cache.put(format!("random-{k}"), None, now);
        }
        assert_eq!(cache.len(), (1, UNKNOWN_MAX));
        assert!(cache.unknown_order.len() <= 2 * UNKNOWN_MAX);
        assert_eq!(cache.get("good", now), Some(Some(planner)));
        // The newest unknown ones are kept, the oldest made room.
        assert_eq!(cache.get("random-19999", now), Some(None));
        assert_eq!(cache.get("random-0", now), None);
        // After the TTL every lookup goes to the database again.
        assert_eq!(cache.get("good", now + TTL), None);
    }
}
