//! The entities under short names: `use pmsgraph_entity::prelude::*;`.

pub use crate::access_check::Entity as AccessCheck;
pub use crate::access_override::Entity as AccessOverride;
pub use crate::api_token::Entity as ApiToken;
pub use crate::app::Entity as App;
pub use crate::change_log::Entity as ChangeLog;
pub use crate::customer::Entity as Customer;
pub use crate::data_access::Entity as DataAccess;
pub use crate::event::Entity as Event;
pub use crate::integration::Entity as Integration;
pub use crate::lease::Entity as Lease;
pub use crate::lease_resident::Entity as LeaseResident;
pub use crate::property::Entity as Property;
pub use crate::resident::Entity as Resident;
pub use crate::sandbox_step::Entity as SandboxStep;
pub use crate::sandbox_timeline::Entity as SandboxTimeline;
pub use crate::sync_cursor::Entity as SyncCursor;
pub use crate::sync_job::Entity as SyncJob;
pub use crate::unit::Entity as Unit;
pub use crate::unit_space::Entity as UnitSpace;
pub use crate::webhook_attempt::Entity as WebhookAttempt;
pub use crate::webhook_delivery::Entity as WebhookDelivery;
pub use crate::webhook_endpoint::Entity as WebhookEndpoint;
