//! Pure domain: validated inputs. DTOs from the API, the CLI import and (later) the admin forms
//! become these types before any database call; every problem is reported against its field.

pub mod access;
pub mod catalog;
pub mod event;
pub mod filter;
pub mod imports;
pub mod message;
pub mod online;
pub mod recurrence;
pub mod time;

use crate::error::{AppError, FieldError};

/// Collects field errors while a DTO is checked.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<message::Msg>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was pushed.
    pub fn finish<T>(self, value: T) -> Result<T, AppError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self.0))
        }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl From<Errors> for AppError {
    fn from(e: Errors) -> AppError {
        AppError::Validation(e.into_vec())
    }
}

/// A one-line text field: trimmed, no control characters, at most `max` characters.
pub fn line(errors: &mut Errors, field: &str, value: Option<&str>, max: usize) -> Option<String> {
    let v = value?.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().any(char::is_control) {
        errors.push(field, message::Msg::NotOneLine);
        return None;
    }
    let n = v.chars().count();
    if n > max {
        errors.push(field, message::Msg::TooLong { len: n, max });
        return None;
    }
    Some(v.to_string())
}

/// A required one-line text field.
pub fn required_line(errors: &mut Errors, field: &str, value: Option<&str>, max: usize) -> String {
    let before = errors.0.len();
    match line(errors, field, value, max) {
        Some(v) => v,
        None => {
            if errors.0.len() == before {
                errors.push(field, message::Msg::Required);
            }
            String::new()
        }
    }
}

/// Multi-line text: line ends normalised to `\n`, no other control characters but tab.
pub fn text(errors: &mut Errors, field: &str, value: Option<&str>, max: usize) -> String {
    let Some(raw) = value else {
        return String::new();
    };
    let v = raw.replace("\r\n", "\n").replace('\r', "\n");
    let v = v.trim();
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(field, message::Msg::ControlChars);
        return String::new();
    }
    let n = v.chars().count();
    if n > max {
        errors.push(field, message::Msg::TooLong { len: n, max });
        return String::new();
    }
    v.to_string()
}

/// An optional http(s) URL.
pub fn url(errors: &mut Errors, field: &str, value: Option<&str>) -> Option<String> {
    let v = line(errors, field, value, 2000)?;
    let lower = v.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !v.contains(|c: char| c.is_whitespace() || "\"<>\\^`{|}".contains(c)) =>
        {
            Some(v)
        }
        _ => {
            errors.push(field, message::Msg::NotUrl);
            None
        }
    }
}

/// A slug: 1–64 of `a-z 0-9 -`, not starting or ending with `-`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn slug(errors: &mut Errors, field: &str, value: Option<&str>) -> String {
    let v = required_line(errors, field, value, 64);
    if !v.is_empty() && !is_slug(&v) {
        errors.push(field, message::Msg::BadSlug);
    }
    v
}

/// An RFC 7396 merge patch over a flat input: the patch's fields replace the current ones, and
/// a `null` removes one (back to its default).
pub fn merge_patch<T: serde::Serialize>(
    current: &T,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, AppError> {
    let mut base = serde_json::to_value(current)?;
    let serde_json::Value::Object(obj) = &mut base else {
        return Err(AppError::Unexpected(anyhow::anyhow!(
            "an input is not an object"
        )));
    };
    for (k, v) in patch {
        obj.insert(k, v);
    }
    obj.retain(|_, v| !v.is_null());
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let mut e = Errors::default();
        assert_eq!(
            url(&mut e, "u", Some("https://x.org/a")),
            Some("https://x.org/a".into())
        );
        assert_eq!(url(&mut e, "u", Some("javascript:alert(1)")), None);
        assert_eq!(url(&mut e, "u", Some("https:///nohost")), None);
        assert_eq!(
            url(&mut e, "u", Some("https://x.org/\"onmouseover=\"a")),
            None
        );
        assert_eq!(url(&mut e, "u", Some("https://x.org/<script>")), None);
        assert_eq!(e.into_vec().len(), 4);
    }

    #[test]
    fn lines_and_limits() {
        let mut e = Errors::default();
        assert_eq!(line(&mut e, "t", Some("  hi  "), 10), Some("hi".into()));
        assert_eq!(line(&mut e, "t", Some("a\r\nATTENDEE:x"), 100), None);
        assert_eq!(line(&mut e, "t", Some("ñññññ"), 4), None);
        assert_eq!(required_line(&mut e, "t", Some("   "), 4), "");
        let v = e.into_vec();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].message, "is required");
    }

    #[test]
    fn slugs() {
        assert!(is_slug("tech-workers-coalition"));
        assert!(!is_slug("Tech"));
        assert!(!is_slug("-x"));
        assert!(!is_slug(""));
    }

    #[test]
    fn text_normalises_line_ends() {
        let mut e = Errors::default();
        assert_eq!(text(&mut e, "d", Some("a\r\nb\rc"), 100), "a\nb\nc");
        assert!(e.is_empty());
    }
}
