//! Public output formats: the versioned JSON shapes (and, next, iCalendar).

pub mod json;
