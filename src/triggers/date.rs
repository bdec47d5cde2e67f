//! The date trigger: one run at a fixed time.

use crate::time::ZonedDateTime;

#[derive(Clone)]
pub struct DateTrigger {
    pub run_date: ZonedDateTime,
}

impl DateTrigger {
    pub fn next_fire_time(&self, previous: Option<&ZonedDateTime>) -> Option<&ZonedDateTime> {
        match previous {
            None => Some(&self.run_date),
            Some(_) => None,
        }
    }
}
