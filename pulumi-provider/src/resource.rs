//! The typed resource trait: a resource is a type with plain `Args`/`State` structs and a
//! handful of async methods. The adapter (`adapter`) does everything
//! about the protocol around it.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

use super::context::Context;

/// Why one input property is not acceptable; shown to the user by the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// The property path, e.g. `rule` or `extensions[1]`.
    pub property: String,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl CheckFailure {
    /// A failure of one property.
    pub fn new(property: impl Into<String>, reason: impl Into<String>) -> CheckFailure {
        CheckFailure {
            property: property.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.property.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.property, self.reason)
        }
    }
}

/// How a resource operation failed.
#[derive(Debug)]
pub enum ResourceError {
    /// The operation failed and left nothing behind that the engine must track.
    Failed(String),
    /// The object exists but the operation did not finish: the engine keeps `id` and
    /// `state`, and the next `pulumi up` resumes (an Update) instead of creating another.
    InitFailed {
        /// The id of the object that exists.
        id: String,
        /// Its state as far as it is known (the resource's `State`, serialized).
        state: serde_json::Value,
        /// Why the operation did not finish.
        reasons: Vec<String>,
    },
    /// The engine asked to cancel (Cancel, or shutdown) before the operation finished.
    Cancelled,
}

impl ResourceError {
    /// A plain failure with a message for the user.
    pub fn msg(message: impl fmt::Display) -> ResourceError {
        ResourceError::Failed(message.to_string())
    }

    /// A failure of `what`, caused by `cause`: the message reads `what: cause` (an API
    /// client's error that carries its request id passes it on to the user).
    pub fn because(what: impl fmt::Display, cause: impl fmt::Display) -> ResourceError {
        ResourceError::Failed(format!("{what}: {cause}"))
    }

    /// The object `id` exists in `state` but the operation did not finish.
    pub fn init_failed<S: Serialize>(
        id: impl Into<String>,
        state: &S,
        mut reasons: Vec<String>,
    ) -> ResourceError {
        let state = serde_json::to_value(state).unwrap_or_else(|e| {
            reasons.push(format!(
                "its state cannot be encoded ({e}); this is a bug in the provider, please report it"
            ));
            serde_json::Value::Null
        });
        ResourceError::InitFailed {
            id: id.into(),
            state,
            reasons,
        }
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceError::Failed(m) => f.write_str(m),
            ResourceError::InitFailed { id, reasons, .. } => {
                write!(f, "{id} exists but did not finish: {}", reasons.join("; "))
            }
            ResourceError::Cancelled => f.write_str("the operation was cancelled"),
        }
    }
}

impl std::error::Error for ResourceError {}

/// What a successful create returns.
#[derive(Clone, Debug)]
pub struct Created<S> {
    /// The provider id of the new object (never empty).
    pub id: String,
    /// Its state: every input property as given, plus the outputs.
    pub state: S,
}

/// A Pulumi custom resource.
///
/// `Args` are the inputs (serde, camelCase; doc comments become schema descriptions);
/// `State` is everything the engine stores: the inputs as given plus the outputs.
/// Per-property metadata is declared once on the fields with schemars extensions and read
/// by the schema, Diff and the SDK generator alike:
/// `#[schemars(extend("x-replace" = true))]` (changing it replaces the resource) and
/// `#[schemars(extend("x-secret" = true))]` (always stored and returned as a secret).
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The configured clients the operations use.
    type Client: Send + Sync + 'static;
    /// The inputs.
    type Args: DeserializeOwned + Serialize + JsonSchema + Clone + Send + Sync + 'static;
    /// The stored state (inputs plus outputs).
    type State: DeserializeOwned + Serialize + JsonSchema + Clone + Send + Sync + 'static;

    /// The type token, e.g. `example:index:Thing`.
    const TOKEN: &'static str;
    /// The description in the schema and SDK (Markdown).
    const DESCRIPTION: &'static str;
    /// Whether a replacement must delete the old object before creating the new one
    /// (the cloud forbids two at once).
    const DELETE_BEFORE_REPLACE: bool = false;
    /// Whether the resource updates in place (`update` is implemented); when false every
    /// change replaces.
    const UPDATABLE: bool = true;
    /// How long an operation may take when the engine sends no timeout.
    const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

    /// Normalises the inputs in place and returns what is wrong with them; each failure
    /// names the property and says how to fix it. Values that are unknown during a preview
    /// arrive as placeholders and failures about them are dropped, so check every property
    /// independently and normalise what you can.
    fn check(&self, args: &mut Self::Args) -> Vec<CheckFailure> {
        let _ = args;
        Vec::new()
    }

    /// Creates the object and returns its id and state.
    async fn create(
        &self,
        cx: &Context<Self::Client>,
        args: Self::Args,
    ) -> Result<Created<Self::State>, ResourceError>;

    /// Reads the object. `prior` is the stored state (`None` on import, when only the id is
    /// known). `Ok(None)` means it is gone.
    async fn read(
        &self,
        cx: &Context<Self::Client>,
        id: &str,
        prior: Option<Self::State>,
    ) -> Result<Option<Self::State>, ResourceError>;

    /// The inputs (by their schema name, e.g. `accountId`) that an import leaves out of the
    /// recorded inputs although the state holds them: values the provider's configuration
    /// supplies anyway. `pulumi import` writes the recorded inputs into the generated program,
    /// and a program that leaves such an input to the configuration must not plan a
    /// replacement over it. Called only on import, after [`Resource::read`] found the object.
    /// Default: none.
    fn omitted_on_import(
        &self,
        cx: &Context<Self::Client>,
        state: &Self::State,
    ) -> Vec<&'static str> {
        let _ = (cx, state);
        Vec::new()
    }

    /// Updates the object in place to match `news`.
    async fn update(
        &self,
        cx: &Context<Self::Client>,
        id: &str,
        olds: Self::State,
        news: Self::Args,
    ) -> Result<Self::State, ResourceError> {
        let _ = (cx, id, olds, news);
        Err(ResourceError::msg(format!(
            "{} cannot be updated in place; the provider should have asked for a replacement",
            Self::TOKEN
        )))
    }

    /// Deletes the object. An object that is already gone is a success.
    async fn delete(
        &self,
        cx: &Context<Self::Client>,
        id: &str,
        state: Self::State,
    ) -> Result<(), ResourceError>;
}
