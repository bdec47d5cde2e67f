//! Job stores kept in Rust. Persistent stores are Python classes (SQLAlchemy,
//! redis-py, pymongo); see `python/apscheduler_rs/jobstores`.

pub mod memory;
