//! Who acts, and the proofs a flow asks for.
//!
//! A [`Caller`] is a signed-in person, whether they came with a session or an API
//! token. A flow that needs more takes a proof that can only be made by checking:
//! [`Coordinating`] exists only for a caller who coordinates that organisation (or
//! administers the site), so a flow that takes one cannot be called for anyone else.

use leerpad_core::Role;
use leerpad_store::accounts::User;
use leerpad_store::organisations::{self, MemberRole, Organisation};
use leerpad_store::{DbConnection, StoreResult};

/// A signed-in person: the account a session or an API token belongs to.
#[derive(Debug, Clone)]
pub struct Caller {
    user: User,
}

impl Caller {
    pub fn new(user: User) -> Caller {
        Caller { user }
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn id(&self) -> i32 {
        self.user.id
    }

    pub fn role(&self) -> Role {
        self.user.role()
    }
}

/// Proof that `by` coordinates `organisation`: they are an accepted coordinator of
/// it, or an administrator (who coordinates every organisation).
#[derive(Debug, Clone)]
pub struct Coordinating {
    organisation: Organisation,
    by: User,
}

impl Coordinating {
    /// The proof for the organisation `slug`, or `None` when there is no such
    /// organisation or the caller does not coordinate it: the two look the same,
    /// so nobody learns which organisations exist.
    pub fn check(
        c: &mut DbConnection,
        caller: &Caller,
        slug: &str,
    ) -> StoreResult<Option<Coordinating>> {
        let Some(organisation) = organisations::by_slug(c, slug)? else {
            return Ok(None);
        };
        Self::of(c, caller, organisation)
    }

    /// The proof for an organisation already read.
    pub fn of(
        c: &mut DbConnection,
        caller: &Caller,
        organisation: Organisation,
    ) -> StoreResult<Option<Coordinating>> {
        let coordinates = caller.role() == Role::Admin
            || organisations::role_in(c, organisation.id, caller.id())?
                == Some(MemberRole::Coordinator);
        Ok(coordinates.then(|| Coordinating {
            organisation,
            by: caller.user.clone(),
        }))
    }

    pub fn organisation(&self) -> &Organisation {
        &self.organisation
    }

    /// The coordinator (or administrator) acting.
    pub fn by(&self) -> &User {
        &self.by
    }
}

/// Proof that the caller administers the site.
#[derive(Debug, Clone)]
pub struct Administering {
    caller: Caller,
}

impl Administering {
    pub fn check(caller: &Caller) -> Option<Administering> {
        (caller.role() == Role::Admin).then(|| Administering {
            caller: caller.clone(),
        })
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }
}
