//! The memory job store's index: jobs ordered by next run time, then id, with
//! paused jobs (no next run time) last, as APScheduler's `MemoryJobStore`
//! orders them; O(log n) add, remove and lookup, and a walk in run order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::error::{Error, Result};

/// When a job runs next: a UTC instant in microseconds, or never (paused).
/// Paused sorts after every instant. One `i64` (paused is `i64::MAX`, far past
/// the year 9999 that instants stop at), so an index entry stays small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunAt(i64);

impl RunAt {
    pub const PAUSED: RunAt = RunAt(i64::MAX);

    /// At the instant `micros`; clamped below `PAUSED`, which no real instant
    /// reaches.
    pub fn at(micros: i64) -> Self {
        RunAt(micros.min(i64::MAX - 1))
    }
}

impl From<Option<i64>> for RunAt {
    fn from(value: Option<i64>) -> Self {
        value.map_or(RunAt::PAUSED, RunAt::at)
    }
}

/// Jobs by id and in run order. `J` is whatever the caller stores per job (the
/// Python job object in the bindings). The jobs live in the ordered map, so
/// walking them in run order (due jobs, all jobs) needs no lookups; the id map
/// only says where each job sorts.
pub struct JobIndex<J> {
    /// (run time, id) -> job. Rust orders `str` by UTF-8 bytes, which is
    /// code-point order, the order Python compares ids in.
    order: BTreeMap<(RunAt, Arc<str>), J>,
    run_at: HashMap<Arc<str>, RunAt>,
}

impl<J> Default for JobIndex<J> {
    fn default() -> Self {
        JobIndex {
            order: BTreeMap::new(),
            run_at: HashMap::new(),
        }
    }
}

impl<J> JobIndex<J> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.run_at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.run_at.is_empty()
    }

    fn key(&self, id: &str) -> Option<(RunAt, Arc<str>)> {
        let (key, run_at) = self.run_at.get_key_value(id)?;
        Some((*run_at, Arc::clone(key)))
    }

    pub fn get(&self, id: &str) -> Option<&J> {
        self.order.get(&self.key(id)?)
    }

    /// Add a job; an id already present is refused and nothing changes.
    pub fn add(&mut self, id: &str, run_at: RunAt, job: J) -> Result<()> {
        if self.run_at.contains_key(id) {
            return Err(Error::ConflictingId(id.to_owned()));
        }
        let id: Arc<str> = Arc::from(id);
        self.order.insert((run_at, Arc::clone(&id)), job);
        self.run_at.insert(id, run_at);
        Ok(())
    }

    pub fn remove(&mut self, id: &str) -> Result<J> {
        let key = self
            .key(id)
            .ok_or_else(|| Error::JobLookup(id.to_owned()))?;
        self.run_at.remove(id);
        self.order
            .remove(&key)
            .ok_or_else(|| Error::JobLookup(id.to_owned()))
    }

    /// Every job in run order with where it sorts: its run time and id.
    pub fn entries(&self) -> impl Iterator<Item = (RunAt, &str, &J)> {
        self.order
            .iter()
            .map(|((run_at, id), job)| (*run_at, id.as_ref(), job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's model: a list kept sorted by (run time or +inf, id).
    #[derive(Default)]
    struct Model(Vec<(RunAt, String, u32)>);

    impl Model {
        fn sort(&mut self) {
            self.0.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        }
    }

    #[test]
    fn random_operations_match_a_sorted_list() {
        let mut index = JobIndex::new();
        let mut model = Model::default();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..20_000u32 {
            let id = format!("job{}", next() % 300);
            let run_at = match next() % 10 {
                0 => RunAt::PAUSED,
                _ => RunAt::at((next() % 50) as i64),
            };
            match next() % 4 {
                0 | 1 => {
                    let present = model.0.iter().any(|(_, i, _)| *i == id);
                    let added = index.add(&id, run_at, step);
                    assert_eq!(added.is_err(), present);
                    if !present {
                        model.0.push((run_at, id, step));
                    }
                }
                2 => {
                    // an update, as the memory store does one: out, then in again
                    let removed = index.remove(&id);
                    match model.0.iter_mut().find(|(_, i, _)| *i == id) {
                        Some(entry) => {
                            assert_eq!(removed.ok(), Some(entry.2));
                            index.add(&id, run_at, step).unwrap();
                            *entry = (run_at, id, step);
                        }
                        None => assert!(matches!(removed, Err(Error::JobLookup(_)))),
                    }
                }
                _ => {
                    let removed = index.remove(&id);
                    match model.0.iter().position(|(_, i, _)| *i == id) {
                        Some(pos) => assert_eq!(removed.ok(), Some(model.0.remove(pos).2)),
                        None => assert!(matches!(removed, Err(Error::JobLookup(_)))),
                    }
                }
            }
            model.sort();
            assert_eq!(index.len(), model.0.len());
            if step % 97 == 0 {
                let now = (next() % 60) as i64;
                let due: Vec<u32> = index
                    .entries()
                    .take_while(|(r, _, _)| *r <= RunAt::at(now))
                    .map(|(_, _, j)| *j)
                    .collect();
                let expected: Vec<u32> = model
                    .0
                    .iter()
                    .take_while(|(r, _, _)| *r <= RunAt::at(now))
                    .map(|e| e.2)
                    .collect();
                assert_eq!(due, expected);
                let all: Vec<(RunAt, &str, u32)> =
                    index.entries().map(|(r, i, j)| (r, i, *j)).collect();
                let expected: Vec<(RunAt, &str, u32)> = model
                    .0
                    .iter()
                    .map(|(r, i, j)| (*r, i.as_str(), *j))
                    .collect();
                assert_eq!(all, expected);
            }
        }
    }

    #[test]
    fn ids_order_by_code_point_as_in_python() {
        let mut index = JobIndex::new();
        for id in ["b", "a", "é", "Z", "aa", "\u{1F600}"] {
            index.add(id, RunAt::at(5), id.to_owned()).unwrap();
        }
        let order: Vec<&String> = index.entries().map(|(_, _, job)| job).collect();
        // sorted(["b", "a", "é", "Z", "aa", "\U0001F600"]) in Python:
        assert_eq!(order, ["Z", "a", "aa", "b", "é", "\u{1F600}"]);
    }
}
