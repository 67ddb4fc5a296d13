//! Request extractors that answer bad input with problem+json naming the field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::db;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

/// A request body, read up to the configured size cap. It is parsed by [`Body::json`] inside the
/// handler, after authentication, so a caller without a valid token learns nothing from
/// validation messages (extractors run concurrently; the order of their errors is not fixed).
pub struct Body {
    bytes: web::Bytes,
    mime: String,
}

impl Body {
    /// The body as JSON of type `T`: 415 unless sent as JSON, 400 for broken JSON, 422 naming the
    /// field for the wrong shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        if self.mime != "application/json" && !self.mime.ends_with("+json") {
            return Err(AppError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        parse_json(&self.bytes)
    }
}

/// Parses JSON: syntax errors are 400, shape errors 422 naming the field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let message = strip_position(&inner.to_string());
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." || path.is_empty() {
                        field_from_message(&message).unwrap_or_else(|| "body".into())
                    } else {
                        path
                    };
                    Err(AppError::Validation(vec![FieldError::new(field, message)]))
                }
                _ => Err(AppError::BadRequest(format!(
                    "the body is not valid JSON: {}",
                    inner_position(&inner)
                ))),
            }
        }
    }
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn inner_position(e: &serde_json::Error) -> String {
    format!(
        "{} (line {}, column {})",
        strip_position(&e.to_string()),
        e.line(),
        e.column()
    )
}

/// `missing field `title`` at the top level names `title`.
fn field_from_message(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map_or(64 * 1024, |s| s.settings.api.max_body_bytes)
}

impl FromRequest for Body {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req);
        let mime = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(Pin::new(&mut payload), cx)
            })
            .await
            {
                let chunk = chunk
                    .map_err(|e| AppError::BadRequest(format!("reading the body failed: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Body {
                bytes: body.freeze(),
                mime,
            })
        })
    }
}

/// The caller of a write endpoint, from `Authorization: Bearer TOKEN`.
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_string())
            });
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no app state")))?;
            let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 200) else {
                return Err(AppError::Unauthorized(
                    "send an API token as Authorization: Bearer TOKEN".into(),
                ));
            };
            let found = db::run(&state.pool, move |conn| {
                Ok(db::queries::auth::principal_for_token(conn, &token)?)
            })
            .await?;
            found.map(Auth).ok_or_else(|| {
                AppError::Unauthorized("the API token is not valid or was revoked".into())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::EventInput;

    fn field_of(body: &str) -> (String, String) {
        match parse_json::<EventInput>(body.as_bytes()) {
            Err(AppError::Validation(f)) => (f[0].field.clone(), f[0].message.clone()),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        assert_eq!(field_of(r#"{"all_day": "yes"}"#).0, "all_day");
        assert_eq!(
            field_of(r#"{"partners": [{"slug": "a"}, {"slug": 3}]}"#).0,
            "partners[1].slug"
        );
        assert_eq!(field_of(r#"{"status": "maybe"}"#).0, "status");
        let (f, m) = field_of(r#"{"timzone": "UTC"}"#);
        assert!(f == "timzone" && m.contains("unknown field"), "{f} {m}");
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse_json::<EventInput>(b"{\"title\": "),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<EventInput>(b"not json"),
            Err(AppError::BadRequest(_))
        ));
    }
}
