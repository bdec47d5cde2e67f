//! The memory store's index of our own jobs (`JobCore`): found by the id each
//! job carries and ordered by (next run time, id), without a copy of the id.
//! An entry costs two references to the job: one in the ordered set, one in
//! the id table.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};
use pyo3::gc::PyVisit;
use pyo3::prelude::*;
use pyo3::PyTraverseError;
use smallvec::SmallVec;

use super::job::PyJob;
use crate::store::memory::RunAt;

/// The id bytes of an indexed job (set: only jobs with an id are indexed).
fn id_of(job: &Py<PyJob>) -> &[u8] {
    job.get().id().map_or(&[], |id| id.as_bytes())
}

/// An entry of the ordered set.
struct Ordered(RunAt, Py<PyJob>);

/// What the ordered set is sorted (and searched) by: the run time, then the
/// id. The id is only read on a tie of run times, since reading it means
/// following the pointer to the job (a cache miss on most comparisons in a
/// large index).
trait SortKey {
    fn run_at(&self) -> RunAt;
    fn id(&self) -> &[u8];

    fn compare(&self, other: &dyn SortKey) -> Ordering {
        self.run_at()
            .cmp(&other.run_at())
            .then_with(|| self.id().cmp(other.id()))
    }
}

impl SortKey for Ordered {
    fn run_at(&self) -> RunAt {
        self.0
    }

    fn id(&self) -> &[u8] {
        id_of(&self.1)
    }
}

impl SortKey for (RunAt, &[u8]) {
    fn run_at(&self) -> RunAt {
        self.0
    }

    fn id(&self) -> &[u8] {
        self.1
    }
}

impl<'a> Borrow<dyn SortKey + 'a> for Ordered {
    fn borrow(&self) -> &(dyn SortKey + 'a) {
        self
    }
}

impl Ord for dyn SortKey + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare(other)
    }
}

impl PartialOrd for dyn SortKey + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for dyn SortKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other).is_eq()
    }
}

impl Eq for dyn SortKey + '_ {}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare(other)
    }
}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ordered {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other).is_eq()
    }
}

impl Eq for Ordered {}

/// The references an index let go of: dropped by the caller once its lock
/// is released (releasing a job can run Python code).
pub struct Released(#[allow(dead_code)] SmallVec<[Py<PyJob>; 2]>);

#[derive(Default)]
pub struct OwnIdIndex {
    order: BTreeSet<Ordered>,
    /// (where the job sorts, the job), found by the job's id.
    by_id: HashTable<(RunAt, Py<PyJob>)>,
    hasher: DefaultHashBuilder,
}

impl OwnIdIndex {
    fn hash(&self, id: &[u8]) -> u64 {
        self.hasher.hash_one(id)
    }

    fn entry(&self, id: &[u8]) -> Option<&(RunAt, Py<PyJob>)> {
        self.by_id.find(self.hash(id), |(_, job)| id_of(job) == id)
    }

    pub fn get(&self, id: &[u8]) -> Option<&Py<PyJob>> {
        self.entry(id).map(|(_, job)| job)
    }

    pub fn contains(&self, id: &[u8]) -> bool {
        self.entry(id).is_some()
    }

    /// Add `job` (whose id is set and not in the index) to sort at `run_at`.
    pub fn insert(&mut self, py: Python<'_>, run_at: RunAt, job: &Bound<'_, PyJob>) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(id_of(job.as_unbound()));
        self.by_id
            .insert_unique(hash, (run_at, job.clone().unbind()), |(_, j)| {
                hasher.hash_one(id_of(j))
            });
        self.order
            .insert(Ordered(run_at, job.as_unbound().clone_ref(py)));
    }

    /// Remove the job with this id.
    pub fn remove(&mut self, id: &[u8]) -> Option<Released> {
        let hash = self.hash(id);
        let entry = self
            .by_id
            .find_entry(hash, |(_, job)| id_of(job) == id)
            .ok()?;
        let ((run_at, job), _) = entry.remove();
        let ordered = self.order.take(&(run_at, id) as &dyn SortKey);
        let mut released = SmallVec::new();
        released.push(job);
        released.extend(ordered.map(|Ordered(_, job)| job));
        Some(Released(released))
    }

    pub fn clear(&mut self) -> Released {
        let mut released: SmallVec<[Py<PyJob>; 2]> = std::mem::take(&mut self.by_id)
            .into_iter()
            .map(|(_, job)| job)
            .collect();
        released.extend(
            std::mem::take(&mut self.order)
                .into_iter()
                .map(|Ordered(_, job)| job),
        );
        Released(released)
    }

    /// Every reference the index holds (two per job), for the garbage collector.
    pub fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        for (_, job) in &self.by_id {
            visit.call(job)?;
        }
        for Ordered(_, job) in &self.order {
            visit.call(job)?;
        }
        Ok(())
    }

    /// Every job in order, with where it sorts.
    pub fn entries(&self) -> impl Iterator<Item = (RunAt, &[u8], &Py<PyJob>)> {
        self.order
            .iter()
            .map(|Ordered(run_at, job)| (*run_at, id_of(job), job))
    }
}
