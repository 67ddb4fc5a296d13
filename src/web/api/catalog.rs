//! Partners, actions, venues.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{created, ok};
use crate::db::queries::catalog as q;
use crate::domain::catalog::{
    ActionDraft, ActionInput, PartnerDraft, PartnerInput, VenueDraft, VenueInput,
};
use crate::error::AppError;
use crate::feeds::json::{ActionJson, PartnerJson, VenueJson};
use crate::state::AppState;
use crate::web::extract::{Auth, Body};

fn admin_only(auth: &Auth, what: &str) -> Result<(), AppError> {
    if auth.0.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only admins may create {what}"
        )))
    }
}

pub async fn list_partners(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let list = state.read(|c| Ok(q::list_partners(c)?)).await?;
    let partners: Vec<_> = list
        .iter()
        .map(|p| PartnerJson::new(p, &state.links))
        .collect();
    ok(&json!({ "partners": partners }))
}

pub async fn get_partner(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let p = state.read(move |c| q::partner_by_slug(c, &slug)).await?;
    ok(&PartnerJson::new(&p, &state.links))
}

pub async fn create_partner(
    state: web::Data<AppState>,
    auth: Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    admin_only(&auth, "partners")?;
    let input: PartnerInput = body.json()?;
    let draft = PartnerDraft::try_from(input)?;
    let p = state.write(move |c| q::create_partner(c, &draft)).await?;
    created(&PartnerJson::new(&p, &state.links))
}

pub async fn list_actions(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let list = state.read(|c| Ok(q::list_actions(c)?)).await?;
    let actions: Vec<_> = list
        .iter()
        .map(|a| ActionJson::new(a, &state.links))
        .collect();
    ok(&json!({ "actions": actions }))
}

pub async fn get_action(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let view = state
        .read(move |c| {
            let a = q::action_by_slug(c, &slug)?;
            q::action_view(c, a)
        })
        .await?;
    ok(&ActionJson::new(&view, &state.links))
}

pub async fn create_action(
    state: web::Data<AppState>,
    auth: Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    admin_only(&auth, "actions")?;
    let input: ActionInput = body.json()?;
    let draft = ActionDraft::try_from(input)?;
    let view = state
        .write(move |c| {
            let a = q::create_action(c, &draft)?;
            q::action_view(c, a)
        })
        .await?;
    created(&ActionJson::new(&view, &state.links))
}

pub async fn list_venues(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let list = state.read(|c| Ok(q::list_public_venues(c)?)).await?;
    let venues: Vec<_> = list.iter().map(VenueJson::from).collect();
    ok(&json!({ "venues": venues }))
}

/// Any token may add a venue (organizers add the places of their events). A venue with the same
/// name, address and city is found again: 200 with it instead of 201.
pub async fn create_venue(
    state: web::Data<AppState>,
    _auth: Auth,
    body: Body,
) -> Result<HttpResponse, AppError> {
    let input: VenueInput = body.json()?;
    let draft = VenueDraft::try_from(input)?;
    let (v, new) = state
        .write(move |c| {
            let existing = q::find_venue(c, &draft)?;
            match existing {
                Some(v) => Ok((v, false)),
                None => Ok((q::create_venue(c, &draft)?, true)),
            }
        })
        .await?;
    if new {
        created(&VenueJson::from(&v))
    } else {
        ok(&VenueJson::from(&v))
    }
}
