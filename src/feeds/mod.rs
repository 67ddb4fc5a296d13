//! Public output formats: the versioned JSON shapes, iCalendar and Atom.

pub mod atom;
pub mod ical;
pub mod json;
pub mod render;
pub mod text;
pub mod vtimezone;
