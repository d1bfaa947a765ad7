//! Organisations: an administrator creates one with its first coordinator.

use chrono::NaiveDateTime;
use leerpad_store::db::write_transaction;
use leerpad_store::organisations::{self, MemberRole, Organisation};
use leerpad_store::{DbConnection, StoreError};

use crate::caller::{Administering, Coordinating};
use crate::error::FlowResult;
use crate::members::{check_invitee, invite_in, Invitee};
use crate::outbox::Outbox;
use crate::refusal::Refusal;
use crate::Stale;

/// A new organisation and who coordinates it first.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: String,
    /// The short name in its addresses (`/organisations/<slug>`).
    pub slug: String,
    pub coordinator_name: String,
    pub coordinator_email: String,
}

/// Creates the organisation and invites its first coordinator, in one transaction
/// with the invitation's email: an organisation never exists without the
/// coordinator it was made for.
pub fn create(
    c: &mut DbConnection,
    outbox: &Outbox,
    base_url: &str,
    admin: &Administering,
    new: &NewOrganisation,
    now: NaiveDateTime,
) -> FlowResult<Result<(Organisation, Stale), Refusal>> {
    let coordinator = Invitee {
        email: new.coordinator_email.clone(),
        name: new.coordinator_name.clone(),
        group: None,
        role: MemberRole::Coordinator,
    };
    if let Err(problem) = check_invitee(&coordinator) {
        return Ok(Err(problem));
    }
    let (name, slug) = (new.name.trim(), new.slug.trim().to_lowercase());
    write_transaction(c, |c| {
        let org = match organisations::create(c, &slug, name, now) {
            Ok(Some(org)) => org,
            Ok(None) => return Ok(Err(Refusal::SlugTaken)),
            Err(StoreError::Invalid(_)) => return Ok(Err(Refusal::InvalidOrganisation)),
            Err(e) => return Err(e.into()),
        };
        let by = Coordinating::of(c, admin.caller(), org.clone())?
            .ok_or_else(|| StoreError::bug("an administrator coordinates every organisation"))?;
        let (_, stale) = invite_in(c, outbox, base_url, &by, &coordinator, now)?;
        Ok(Ok((org, stale)))
    })
}
