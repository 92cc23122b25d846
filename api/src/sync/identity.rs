//! Stable residents where the PMS's person ids are per lease (Yardi tenant and roommate codes,
//! RealPage resident ids; DESIGN.md, "Person identity").
//!
//! Such a connector merges the codes of one sync by email and last name and names the person by
//! one of them, the first it met. Across syncs that code can change: after a transfer into a
//! property read earlier, the person is first met on the new lease, under its new code. Stored as
//! such, they would be a new resident, and the stored one remote-deleted: a MOVED_IN and a
//! REMOTE_DELETED where the PMS saw a TRANSFERRED.
//!
//! [`StoredPeople`] prevents that. Loaded once per run from the integration's live residents, it
//! renames a person the connector names by a code not stored yet, whose identity belongs to a stored
//! resident, to that resident's remote id, in the resident record and in every lease naming them,
//! before the records are stored or counted as seen. An email change keeps the person: the
//! connector still names them by their stored code, which is found as such.

use std::collections::{HashMap, HashSet};

use pmsgraph_connector_core::{NormalizedRecord, person_key};
use pmsgraph_entity::resident;
use uuid::Uuid;

use crate::db::Db;
use crate::store::{StoreError, ingest};
use crate::sync::{digest128, identity_digest};

/// The digest of a remote id.
fn id_key(remote_id: &str) -> u128 {
    digest128(&[remote_id])
}

/// The live residents of one integration by remote id and by identity, and the renames of one run.
/// Remote ids and identities are held as 128-bit digests ([`digest128`]); only the remote id a
/// rename leads to is kept as text. A large portfolio's residents (a quarter of a million) took
/// some 90 MB as strings, about 20 MB so.
#[derive(Debug, Default)]
pub struct StoredPeople {
    stored: HashSet<u128>,
    by_key: HashMap<u128, Box<str>>,
    /// Stored remote ids this run has already named as themselves: never a rename's target.
    claimed: HashSet<u128>,
    renamed: HashMap<String, String>,
}

impl StoredPeople {
    /// The integration's live residents, read a page at a time ([`ingest::scan_live`]).
    pub async fn load(db: &Db, integration_id: Uuid) -> Result<Self, StoreError> {
        let mut people = StoredPeople::default();
        use resident::Column as R;
        ingest::scan_live::<resident::Entity, (Uuid, String, Option<String>, String)>(
            db,
            integration_id,
            &[R::Id, R::RemoteId, R::Email, R::LastName],
            |row| row.0,
            |rows| people.add(rows.into_iter().map(|(_, remote_id, email, last_name)| (remote_id, email, last_name))),
        )
        .await?;
        Ok(people)
    }

    fn add(&mut self, rows: impl IntoIterator<Item = (String, Option<String>, String)>) {
        for (remote_id, email, last_name) in rows {
            if let Some(key) = person_key(email.as_deref(), &last_name) {
                // Two stored residents of one identity should not exist; if they do, the smaller
                // id wins, the same one every run.
                self.by_key
                    .entry(identity_digest(&key))
                    .and_modify(|id| {
                        if *remote_id < **id {
                            *id = remote_id.as_str().into();
                        }
                    })
                    .or_insert_with(|| remote_id.as_str().into());
            }
            self.stored.insert(id_key(&remote_id));
        }
    }

    #[cfg(test)]
    fn from_rows(rows: impl IntoIterator<Item = (String, Option<String>, String)>) -> Self {
        let mut people = StoredPeople::default();
        people.add(rows);
        people
    }

    /// Renames, in place, the people of `records` the connector names by a new code although
    /// they are stored under another, and the leases' references to them (also to people renamed
    /// on an earlier page: a connector emits each person once, before their leases).
    pub fn resolve(&mut self, records: &mut [NormalizedRecord]) {
        for record in records.iter_mut() {
            match record {
                NormalizedRecord::Resident(person) => {
                    let own = id_key(&person.remote_id);
                    if self.stored.contains(&own) {
                        self.claimed.insert(own);
                        continue;
                    }
                    let Some(stored) = person.identity_key().and_then(|key| self.by_key.get(&identity_digest(&key)))
                    else {
                        continue;
                    };
                    if self.claimed.insert(id_key(stored)) {
                        let code = std::mem::replace(&mut person.remote_id, stored.to_string());
                        self.renamed.insert(code, stored.to_string());
                    }
                }
                NormalizedRecord::Lease(lease) if !self.renamed.is_empty() => {
                    for occupancy in &mut lease.residents {
                        if let Some(stored) = self.renamed.get(&occupancy.resident_remote_id) {
                            occupancy.resident_remote_id.clone_from(stored);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmsgraph_connector_core::{
        LeaseStatus, NormalizedLease, NormalizedLeaseResident, NormalizedResident, RemoteData, ResidentRole,
    };

    fn person(code: &str, last: &str, email: Option<&str>) -> NormalizedRecord {
        NormalizedRecord::Resident(NormalizedResident {
            remote_id: code.into(),
            first_name: "Russell".into(),
            last_name: last.into(),
            email: email.map(str::to_owned),
            phone: None,
            remote_data: RemoteData::null(),
        })
    }

    fn lease(code: &str, people: &[&str]) -> NormalizedRecord {
        let people =
            people.iter().map(|p| NormalizedLeaseResident::new(*p, ResidentRole::Primary, LeaseStatus::Current));
        NormalizedRecord::Lease(NormalizedLease::new(code, "p1", LeaseStatus::Current, people.collect()))
    }

    fn ids(records: &[NormalizedRecord]) -> Vec<String> {
        records
            .iter()
            .flat_map(|r| match r {
                NormalizedRecord::Resident(p) => vec![p.remote_id.clone()],
                NormalizedRecord::Lease(l) => {
                    l.residents.iter().map(|o| format!("{}>{}", l.remote_id, o.resident_remote_id)).collect()
                }
                _ => vec![],
            })
            .collect()
    }

    fn stored() -> StoredPeople {
        StoredPeople::from_rows([
            ("t1".to_owned(), Some("Russell@Example.com".to_owned()), "Howard".to_owned()),
            ("t2".to_owned(), None, "Davis".to_owned()),
        ])
    }

    #[test]
    fn a_new_code_of_a_stored_person_is_renamed_everywhere_across_pages() {
        let mut people = stored();
        let mut first = vec![person("t9", "howard ", Some(" russell@example.com")), lease("l9", &["t9"])];
        people.resolve(&mut first);
        assert_eq!(ids(&first), ["t1", "l9>t1"]);
        // The old lease, on a later page, names the person by the code the connector chose.
        let mut later = vec![lease("l1", &["t9", "t2"])];
        people.resolve(&mut later);
        assert_eq!(ids(&later), ["l1>t1", "l1>t2"]);
    }

    #[test]
    fn stored_codes_new_identities_and_people_without_email_stay_as_they_are() {
        let mut people = stored();
        let mut records = vec![
            // Their email changed at the PMS: still their stored code, still them.
            person("t1", "Howard", Some("rh@example.com")),
            person("t5", "Davis", None),
            person("t6", "Howard", Some("other@example.com")),
            lease("l5", &["t5", "t6"]),
        ];
        people.resolve(&mut records);
        assert_eq!(ids(&records), ["t1", "t5", "t6", "l5>t5", "l5>t6"]);
    }

    #[test]
    fn a_stored_person_named_as_themselves_is_never_the_target_of_a_rename() {
        let mut people = stored();
        let mut records = vec![
            person("t1", "Howard", Some("russell@example.com")),
            person("t9", "Howard", Some("russell@example.com")),
        ];
        people.resolve(&mut records);
        assert_eq!(ids(&records), ["t1", "t9"]);
    }
}
