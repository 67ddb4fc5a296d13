//! Public output formats: the versioned JSON shapes and iCalendar.

pub mod ical;
pub mod json;
pub mod render;
pub mod text;
pub mod vtimezone;
