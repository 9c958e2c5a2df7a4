//! Finding one object by `id` or by `name`, for `getCluster` and `getNetwork`.

use futures::TryStreamExt;
use oceanid_core::crunchybridge::{Bridge, Cluster, ClusterId, Error, Network, NetworkId};

use crate::pulumi::{CheckFailure, ResourceError};

/// How many candidates an error lists before it says how many more there are.
const SHOWN: usize = 20;

/// Which object the caller asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// By its id.
    Id(String),
    /// By its exact name.
    Name(String),
}

/// Normalises an `id`/`name` pair (trimmed, empty as absent) and checks that exactly one is
/// given and that an id looks like an EID. `what` names the object (`cluster`, `network`) and
/// `finder` the function, for the messages.
pub fn check_id_or_name(
    id: &mut Option<String>,
    name: &mut Option<String>,
    what: &str,
    finder: &str,
) -> Vec<CheckFailure> {
    let tidy = |v: &mut Option<String>| {
        *v = v
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
    };
    tidy(id);
    tidy(name);
    match (id.as_deref(), name.as_deref()) {
        (Some(_), Some(_)) => vec![CheckFailure::new(
            "name",
            format!("give the {what}'s `id` or its `name`, not both"),
        )],
        (None, None) => vec![CheckFailure::new(
            "id",
            format!("give the {what}'s `id` or its `name` to {finder} it"),
        )],
        (Some(id), None) if !oceanid_core::crunchybridge::is_eid(id) => vec![CheckFailure::new(
            "id",
            format!(
                "`{id}` is not a Crunchy Bridge {what} id (26 lowercase letters and digits 2-7); \
                 to look the {what} up by its name, pass `name` instead"
            ),
        )],
        _ => Vec::new(),
    }
}

/// The checked lookup.
pub fn lookup(id: Option<String>, name: Option<String>) -> Lookup {
    match (id, name) {
        (Some(id), _) => Lookup::Id(id),
        (None, name) => Lookup::Name(name.unwrap_or_default()),
    }
}

/// `name (id)` for up to `SHOWN` objects, then how many more.
pub fn candidates<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let all: Vec<(&str, &str)> = items.into_iter().collect();
    if all.is_empty() {
        return "none".to_owned();
    }
    let mut text = all
        .iter()
        .take(SHOWN)
        .map(|(name, id)| format!("{name:?} ({id})"))
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > SHOWN {
        text.push_str(&format!(", and {} more", all.len() - SHOWN));
    }
    text
}

/// The one item named `name` among `items`, or an error listing the candidates: every visible
/// object when none matches, the matches when several do.
///
/// # Errors
/// A message for the user when zero or more than one item is named `name`.
pub fn select_by_name<T>(
    items: Vec<T>,
    name: &str,
    what: &str,
    name_of: impl Fn(&T) -> &str,
    id_of: impl Fn(&T) -> &str,
) -> Result<T, String> {
    let (mut matches, others): (Vec<T>, Vec<T>) =
        items.into_iter().partition(|t| name_of(t) == name);
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(format!(
            "no {what} is named {name:?} (names are matched exactly, case included); the \
             {what}s this API key can see are: {}",
            candidates(others.iter().map(|t| (name_of(t), id_of(t))))
        )),
        n => Err(format!(
            "{n} {what}s are named {name:?}: {}; look the one you mean up by its `id` instead",
            candidates(matches.iter().map(|t| (name_of(t), id_of(t))))
        )),
    }
}

/// An API object a function can look up by id or by name.
pub trait Findable: Sized + Send {
    /// What it is called in messages, e.g. `cluster`.
    const WHAT: &'static str;
    /// Its name.
    fn name(&self) -> &str;
    /// Its id.
    fn id(&self) -> &str;
    /// Reads the one with this id (`None`: no such object).
    fn get(bridge: &Bridge, id: &str) -> impl Future<Output = Result<Option<Self>, Error>> + Send;
    /// Lists every one the API key can see.
    fn all(bridge: &Bridge) -> impl Future<Output = Result<Vec<Self>, Error>> + Send;
}

/// The one `T` with the given id or name: by id it is read, by name every visible one is
/// listed and matched. Not found, or several by that name, is an error that lists the
/// candidates.
///
/// # Errors
/// A message for the user: not found, ambiguous, or the API call failed.
pub async fn find_one<T: Findable>(
    bridge: &Bridge,
    id: Option<String>,
    name: Option<String>,
) -> Result<T, ResourceError> {
    let what = T::WHAT;
    let list = async || {
        T::all(bridge)
            .await
            .map_err(|e| ResourceError::msg(format!("cannot list the {what}s: {e}")))
    };
    match lookup(id, name) {
        Lookup::Id(id) => match T::get(bridge, &id).await {
            Ok(Some(found)) => Ok(found),
            Ok(None) => {
                let all = list().await?;
                Err(ResourceError::msg(format!(
                    "no {what} has the id {id}; the {what}s this API key can see are: {}",
                    candidates(all.iter().map(|t| (t.name(), t.id())))
                )))
            }
            Err(e) => Err(ResourceError::msg(format!("cannot read {what} {id}: {e}"))),
        },
        Lookup::Name(name) => {
            select_by_name(list().await?, &name, what, T::name, T::id).map_err(ResourceError::msg)
        }
    }
}

impl Findable for Cluster {
    const WHAT: &'static str = "cluster";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        self.id.as_str()
    }
    async fn get(bridge: &Bridge, id: &str) -> Result<Option<Cluster>, Error> {
        bridge.clusters().get_opt(&ClusterId::new(id)).await
    }
    async fn all(bridge: &Bridge) -> Result<Vec<Cluster>, Error> {
        bridge.clusters().stream().try_collect().await
    }
}

impl Findable for Network {
    const WHAT: &'static str = "network";
    fn name(&self) -> &str {
        &self.name
    }
    fn id(&self) -> &str {
        self.id.as_str()
    }
    async fn get(bridge: &Bridge, id: &str) -> Result<Option<Network>, Error> {
        bridge.networks().get_opt(&NetworkId::new(id)).await
    }
    async fn all(bridge: &Bridge) -> Result<Vec<Network>, Error> {
        bridge.networks().stream().try_collect().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EID: &str = "oceanidemulatorcluster222a";

    fn check(id: Option<&str>, name: Option<&str>) -> (Vec<CheckFailure>, Lookup) {
        let (mut id, mut name) = (id.map(str::to_owned), name.map(str::to_owned));
        let failures = check_id_or_name(&mut id, &mut name, "cluster", "find");
        (failures, lookup(id, name))
    }

    #[test]
    fn exactly_one_of_id_and_name() {
        assert_eq!(check(Some(EID), None), (vec![], Lookup::Id(EID.into())));
        assert_eq!(
            check(Some(" "), Some(" prod ")),
            (vec![], Lookup::Name("prod".into()))
        );
        let (f, _) = check(Some(EID), Some("prod"));
        assert!(f[0].reason.contains("not both"), "{}", f[0]);
        let (f, _) = check(None, Some(""));
        assert_eq!(f[0].property, "id");
        let (f, _) = check(Some("prod"), None);
        assert!(f[0].reason.contains("pass `name` instead"), "{}", f[0]);
    }

    #[test]
    fn names_select_one_or_explain() {
        let items = vec![("a", "1"), ("b", "2"), ("b", "3")];
        let pick = |name: &str| select_by_name(items.clone(), name, "cluster", |t| t.0, |t| t.1);
        assert_eq!(pick("a").unwrap(), ("a", "1"));
        let e = pick("B").unwrap_err();
        assert!(e.contains("\"a\" (1), \"b\" (2), \"b\" (3)"), "{e}");
        let e = pick("b").unwrap_err();
        assert!(
            e.starts_with("2 clusters are named \"b\": \"b\" (2), \"b\" (3)"),
            "{e}"
        );
        assert!(e.contains("`id`"), "{e}");
    }

    #[test]
    fn long_candidate_lists_are_cut() {
        let names: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
        let text = candidates(names.iter().map(|n| (n.as_str(), "x")));
        assert!(text.ends_with(", and 5 more"), "{text}");
        assert_eq!(candidates(std::iter::empty()), "none");
    }
}
