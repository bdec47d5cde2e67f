//! Where jobs run. `pool` is a generic pool of worker threads with no Python in it;
//! `py::thread_pool` puts Python jobs on it for `apscheduler_rs.executors.pool`.

mod fork;
pub mod pool;
