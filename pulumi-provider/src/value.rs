//! The property-value codec: `google.protobuf.Struct` ⇄ a value tree that knows Pulumi's
//! secrets, unknowns (every sentinel), resource references and output values.
//!
//! Decoding never fails: anything that is not a well-formed special object stays a plain
//! object, so every `Struct` the engine sends survives a round trip unchanged. A secret is
//! never lost: [`Value::Secret`] is only removed by [`Value::to_plain`], which reports that
//! it saw one so the caller can wrap the result again.

use std::collections::BTreeMap;
use std::fmt;

use prost_types::value::Kind;

/// The key that marks a special object.
pub const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";

/// Signatures of the special objects.
pub mod sig {
    /// A secret: `{sig, value}`.
    pub const SECRET: &str = "1b47061264138c4ac30d75fd1eb44270";
    /// A resource reference: `{sig, urn, id, packageVersion}`.
    pub const RESOURCE_REFERENCE: &str = "5cf8f73096256a8f31e491e813e4eb8e";
    /// An output value: `{sig, value?, secret?, dependencies?}`.
    pub const OUTPUT_VALUE: &str = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
    /// An asset.
    pub const ASSET: &str = "c44067f5952c0a294b673a41bacd8c17";
    /// An archive.
    pub const ARCHIVE: &str = "0def7320c3a5731c473e5ecbe6d01bc7";
}

/// Which unknown sentinel a value carried (the engine uses typed ones in some places).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unknown {
    /// The usual sentinel.
    Any,
    /// An unknown bool.
    Bool,
    /// An unknown number.
    Number,
    /// An unknown array.
    Array,
    /// An unknown object.
    Object,
    /// An unknown asset.
    Asset,
    /// An unknown archive.
    Archive,
}

impl Unknown {
    /// Every sentinel kind.
    pub const ALL: [Unknown; 7] = [
        Unknown::Any,
        Unknown::Bool,
        Unknown::Number,
        Unknown::Array,
        Unknown::Object,
        Unknown::Asset,
        Unknown::Archive,
    ];

    /// The sentinel string that travels in place of the value.
    pub fn sentinel(self) -> &'static str {
        match self {
            Unknown::Any => "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            Unknown::Bool => "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
            Unknown::Number => "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
            Unknown::Array => "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
            Unknown::Object => "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
            Unknown::Asset => "030794c1-ac77-496b-92df-f27374a8bd58",
            Unknown::Archive => "e48ece36-62e2-4504-bad9-02848725956a",
        }
    }

    /// The kind a sentinel string stands for, if it is one.
    pub fn from_sentinel(s: &str) -> Option<Unknown> {
        Unknown::ALL.into_iter().find(|u| u.sentinel() == s)
    }
}

/// A map of property names to values: the shape of every `Struct` in the protocol.
pub type PropertyMap = BTreeMap<String, Value>;

/// A reference to another resource.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceReference {
    /// The referenced resource's URN.
    pub urn: String,
    /// Its id: `None` for a component, a string, or an unknown during preview.
    pub id: Option<Box<Value>>,
    /// The provider package version, when sent.
    pub package_version: Option<String>,
}

/// A first-class output value: a value with secretness and dependencies attached.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputValue {
    /// The value; `None` means unknown.
    pub value: Option<Box<Value>>,
    /// Whether the value is secret.
    pub secret: bool,
    /// URNs of the resources the value depends on.
    pub dependencies: Vec<String>,
}

/// One property value.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// JSON null (also a missing `kind`).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (the protocol only has doubles).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// A plain object.
    Object(PropertyMap),
    /// A value not known yet (preview).
    Unknown(Unknown),
    /// A secret wrapping another value.
    Secret(Box<Value>),
    /// A resource reference.
    ResourceReference(ResourceReference),
    /// An output value.
    Output(OutputValue),
    /// An asset, kept opaque (its fields without the signature).
    Asset(PropertyMap),
    /// An archive, kept opaque (its fields without the signature).
    Archive(PropertyMap),
}

impl fmt::Debug for Value {
    // Secrets never reach a log line through Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Array(a) => f.debug_list().entries(a).finish(),
            Value::Object(o) => f.debug_map().entries(o).finish(),
            Value::Unknown(u) => write!(f, "<unknown {u:?}>"),
            Value::Secret(_) => f.write_str("<secret>"),
            Value::ResourceReference(r) => write!(f, "<ref {}>", r.urn),
            Value::Output(o) if o.secret => f.write_str("<secret output>"),
            Value::Output(o) => f.debug_struct("Output").field("value", &o.value).finish(),
            Value::Asset(_) => f.write_str("<asset>"),
            Value::Archive(_) => f.write_str("<archive>"),
        }
    }
}

/// A value with its secrets and output wrappers removed, as [`Value::to_plain`] returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct Plain {
    /// The JSON form; unknown parts are `null`.
    pub json: serde_json::Value,
    /// A secret (or secret output) was somewhere inside.
    pub secret: bool,
    /// An unknown was somewhere inside.
    pub unknown: bool,
}

impl Value {
    /// Decodes one protobuf value. Never fails; see the module docs.
    pub fn from_prost(v: &prost_types::Value) -> Value {
        match &v.kind {
            None | Some(Kind::NullValue(_)) => Value::Null,
            Some(Kind::BoolValue(b)) => Value::Bool(*b),
            Some(Kind::NumberValue(n)) => Value::Number(*n),
            Some(Kind::StringValue(s)) => match Unknown::from_sentinel(s) {
                Some(u) => Value::Unknown(u),
                None => Value::String(s.clone()),
            },
            Some(Kind::ListValue(l)) => {
                Value::Array(l.values.iter().map(Value::from_prost).collect())
            }
            Some(Kind::StructValue(s)) => Value::from_struct_fields(s),
        }
    }

    fn from_struct_fields(s: &prost_types::Struct) -> Value {
        let sig = match s.fields.get(SIG_KEY).and_then(|v| v.kind.as_ref()) {
            Some(Kind::StringValue(sig)) => sig.as_str(),
            _ => return Value::Object(from_struct(s)),
        };
        let field = |k: &str| s.fields.get(k).map(Value::from_prost);
        let only = |allowed: &[&str]| {
            s.fields
                .keys()
                .all(|k| k == SIG_KEY || allowed.contains(&k.as_str()))
        };
        match sig {
            // A secret stays a secret even if it carries stray keys: losing secretness is
            // worse than losing a key nobody defined.
            sig::SECRET => Value::Secret(Box::new(field("value").unwrap_or(Value::Null))),
            sig::RESOURCE_REFERENCE if only(&["urn", "id", "packageVersion"]) => {
                let urn = match field("urn") {
                    Some(Value::String(u)) => u,
                    _ => return Value::Object(from_struct(s)),
                };
                let package_version = match field("packageVersion") {
                    None => None,
                    Some(Value::String(v)) => Some(v),
                    Some(_) => return Value::Object(from_struct(s)),
                };
                Value::ResourceReference(ResourceReference {
                    urn,
                    id: field("id").map(Box::new),
                    package_version,
                })
            }
            sig::OUTPUT_VALUE if only(&["value", "secret", "dependencies"]) => {
                let secret = match field("secret") {
                    None => false,
                    Some(Value::Bool(true)) => true,
                    Some(Value::Bool(false)) if s.fields.contains_key("secret") => {
                        // An explicit `false` is kept as a plain object to round-trip exactly.
                        return Value::Object(from_struct(s));
                    }
                    Some(_) => return Value::Object(from_struct(s)),
                };
                let dependencies = match field("dependencies") {
                    None => Vec::new(),
                    Some(Value::Array(a)) if !a.is_empty() => {
                        let mut deps = Vec::with_capacity(a.len());
                        for d in a {
                            match d {
                                Value::String(u) => deps.push(u),
                                _ => return Value::Object(from_struct(s)),
                            }
                        }
                        deps
                    }
                    Some(_) => return Value::Object(from_struct(s)),
                };
                Value::Output(OutputValue {
                    value: field("value").map(Box::new),
                    secret,
                    dependencies,
                })
            }
            sig::ASSET | sig::ARCHIVE => {
                let mut fields = from_struct(s);
                fields.remove(SIG_KEY);
                if sig == sig::ASSET {
                    Value::Asset(fields)
                } else {
                    Value::Archive(fields)
                }
            }
            _ => Value::Object(from_struct(s)),
        }
    }

    /// Encodes one value for the wire.
    pub fn to_prost(&self) -> prost_types::Value {
        let kind = match self {
            Value::Null => Kind::NullValue(0),
            Value::Bool(b) => Kind::BoolValue(*b),
            Value::Number(n) => Kind::NumberValue(*n),
            Value::String(s) => Kind::StringValue(s.clone()),
            Value::Array(a) => Kind::ListValue(prost_types::ListValue {
                values: a.iter().map(Value::to_prost).collect(),
            }),
            Value::Object(o) => Kind::StructValue(to_struct(o)),
            Value::Unknown(u) => Kind::StringValue(u.sentinel().to_owned()),
            Value::Secret(v) => special(sig::SECRET, [("value", v.to_prost())]),
            Value::ResourceReference(r) => {
                let mut fields = vec![("urn", Value::String(r.urn.clone()).to_prost())];
                if let Some(id) = &r.id {
                    fields.push(("id", id.to_prost()));
                }
                if let Some(v) = &r.package_version {
                    fields.push(("packageVersion", Value::String(v.clone()).to_prost()));
                }
                special(sig::RESOURCE_REFERENCE, fields)
            }
            Value::Output(o) => {
                let mut fields = Vec::new();
                if let Some(v) = &o.value {
                    fields.push(("value", v.to_prost()));
                }
                if o.secret {
                    fields.push(("secret", Value::Bool(true).to_prost()));
                }
                if !o.dependencies.is_empty() {
                    let deps = o.dependencies.iter().cloned().map(Value::String).collect();
                    fields.push(("dependencies", Value::Array(deps).to_prost()));
                }
                special(sig::OUTPUT_VALUE, fields)
            }
            Value::Asset(fields) | Value::Archive(fields) => {
                let signature = if matches!(self, Value::Asset(_)) {
                    sig::ASSET
                } else {
                    sig::ARCHIVE
                };
                let mut s = to_struct(fields);
                s.fields.insert(
                    SIG_KEY.to_owned(),
                    Value::String(signature.to_owned()).to_prost(),
                );
                Kind::StructValue(s)
            }
        };
        prost_types::Value { kind: Some(kind) }
    }

    /// Whether an unknown is anywhere inside (an output value without a value counts).
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Array(a) => a.iter().any(Value::contains_unknown),
            Value::Object(o) => o.values().any(Value::contains_unknown),
            Value::Secret(v) => v.contains_unknown(),
            Value::Output(o) => o.value.as_ref().is_none_or(|v| v.contains_unknown()),
            Value::ResourceReference(r) => r.id.as_ref().is_some_and(|id| {
                id.contains_unknown() || matches!(id.as_ref(), Value::String(s) if s.is_empty())
            }),
            _ => false,
        }
    }

    /// Whether a secret (or secret output) is anywhere inside.
    pub fn contains_secret(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::Output(o) => o.secret || o.value.as_ref().is_some_and(|v| v.contains_secret()),
            Value::Array(a) => a.iter().any(Value::contains_secret),
            Value::Object(o) => o.values().any(Value::contains_secret),
            _ => false,
        }
    }

    /// Wraps the value as a secret unless it already is one.
    pub fn into_secret(self) -> Value {
        match self {
            Value::Secret(_) => self,
            Value::Unknown(_) => self,
            other => Value::Secret(Box::new(other)),
        }
    }

    /// The plain JSON form, with secrets and output wrappers removed and reported.
    ///
    /// Resource references become their id (a custom resource's id is what an input
    /// property means by it); numbers that are whole become integers so that integer
    /// fields decode.
    pub fn to_plain(&self) -> Plain {
        let mut secret = false;
        let mut unknown = false;
        let json = plain_json(self, &mut secret, &mut unknown);
        Plain {
            json,
            secret,
            unknown,
        }
    }

    /// Builds a value from plain JSON (no secrets, no unknowns).
    pub fn from_json(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => {
                Value::Array(a.into_iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| (k, Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Compares two values as the user sees them: secrets and output wrappers are ignored,
    /// an unknown never equals anything.
    pub fn same_as(&self, other: &Value) -> bool {
        let (a, b) = (self.to_plain(), other.to_plain());
        !a.unknown && !b.unknown && a.json == b.json
    }
}

fn plain_json(v: &Value, secret: &mut bool, unknown: &mut bool) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => number_json(*n),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => a.iter().map(|v| plain_json(v, secret, unknown)).collect(),
        Value::Object(o) | Value::Asset(o) | Value::Archive(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), plain_json(v, secret, unknown)))
                .collect(),
        ),
        Value::Unknown(_) => {
            *unknown = true;
            serde_json::Value::Null
        }
        Value::Secret(inner) => {
            *secret = true;
            plain_json(inner, secret, unknown)
        }
        Value::Output(o) => {
            *secret |= o.secret;
            match &o.value {
                Some(inner) => plain_json(inner, secret, unknown),
                None => {
                    *unknown = true;
                    serde_json::Value::Null
                }
            }
        }
        Value::ResourceReference(r) => match r.id.as_deref() {
            Some(Value::String(id)) if !id.is_empty() => serde_json::Value::String(id.clone()),
            Some(Value::String(_)) | Some(Value::Unknown(_)) => {
                *unknown = true;
                serde_json::Value::Null
            }
            Some(other) => plain_json(other, secret, unknown),
            None => serde_json::Value::String(r.urn.clone()),
        },
    }
}

fn number_json(n: f64) -> serde_json::Value {
    // Whole numbers become integers so that `u16`/`i64` fields decode; 2^53 bounds the
    // range where a double holds every integer exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

fn special<'a>(
    signature: &str,
    fields: impl IntoIterator<Item = (&'a str, prost_types::Value)>,
) -> Kind {
    let mut s = prost_types::Struct::default();
    s.fields.insert(
        SIG_KEY.to_owned(),
        prost_types::Value {
            kind: Some(Kind::StringValue(signature.to_owned())),
        },
    );
    for (k, v) in fields {
        s.fields.insert(k.to_owned(), v);
    }
    Kind::StructValue(s)
}

/// Decodes a `Struct` into a property map.
pub fn from_struct(s: &prost_types::Struct) -> PropertyMap {
    s.fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_prost(v)))
        .collect()
}

/// Decodes an optional `Struct` (absent = empty).
pub fn from_opt_struct(s: Option<&prost_types::Struct>) -> PropertyMap {
    s.map(from_struct).unwrap_or_default()
}

/// Encodes a property map as a `Struct`.
pub fn to_struct(m: &PropertyMap) -> prost_types::Struct {
    prost_types::Struct {
        fields: m.iter().map(|(k, v)| (k.clone(), v.to_prost())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_plain() -> impl Strategy<Value = prost_types::Value> {
        let leaf = prop_oneof![
            Just(Kind::NullValue(0)),
            any::<bool>().prop_map(Kind::BoolValue),
            any::<f64>()
                .prop_filter("NaN never equals itself", |n| !n.is_nan())
                .prop_map(Kind::NumberValue),
            ".{0,12}".prop_map(Kind::StringValue),
            prop::sample::select(Unknown::ALL.to_vec())
                .prop_map(|u| Kind::StringValue(u.sentinel().to_owned())),
        ]
        .prop_map(|k| prost_types::Value { kind: Some(k) });
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(|values| prost_types::Value {
                    kind: Some(Kind::ListValue(prost_types::ListValue { values }))
                }),
                prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..6).prop_map(|m| {
                    prost_types::Value {
                        kind: Some(Kind::StructValue(prost_types::Struct {
                            fields: m.into_iter().collect(),
                        })),
                    }
                }),
            ]
        })
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1.0e12f64..1.0e12).prop_map(Value::Number),
            "[a-z0-9 ]{0,10}".prop_map(Value::String),
            prop::sample::select(Unknown::ALL.to_vec()).prop_map(Value::Unknown),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,6}", inner.clone(), 0..5)
                    .prop_map(Value::Object),
                inner.clone().prop_map(|v| Value::Secret(Box::new(v))),
                (
                    prop::option::of(inner.clone()),
                    any::<bool>(),
                    prop::collection::vec("urn:[a-z]{1,5}", 0..3)
                )
                    .prop_map(|(v, secret, dependencies)| Value::Output(
                        OutputValue {
                            value: v.map(Box::new),
                            secret,
                            dependencies,
                        }
                    )),
                ("urn:[a-z]{1,8}", prop::option::of("[a-z0-9]{0,6}")).prop_map(|(urn, id)| {
                    Value::ResourceReference(ResourceReference {
                        urn,
                        id: id.map(|i| Box::new(Value::String(i))),
                        package_version: Some("1.2.3".into()),
                    })
                }),
            ]
        })
    }

    fn count_secrets(v: &Value) -> usize {
        match v {
            Value::Secret(inner) => 1 + count_secrets(inner),
            Value::Output(o) => usize::from(o.secret) + o.value.as_deref().map_or(0, count_secrets),
            Value::Array(a) => a.iter().map(count_secrets).sum(),
            Value::Object(o) => o.values().map(count_secrets).sum(),
            _ => 0,
        }
    }

    proptest! {
        #[test]
        fn any_struct_round_trips(v in arb_plain()) {
            let decoded = Value::from_prost(&v);
            prop_assert_eq!(decoded.to_prost(), v);
        }

        #[test]
        fn any_value_tree_round_trips_and_keeps_its_secrets(v in arb_value()) {
            let wire = v.to_prost();
            let back = Value::from_prost(&wire);
            prop_assert_eq!(count_secrets(&back), count_secrets(&v));
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(back.contains_secret(), v.contains_secret());
            prop_assert_eq!(v.to_plain().secret, v.contains_secret());
        }
    }

    #[test]
    fn sentinels_decode_as_unknowns_of_their_kind() {
        for u in Unknown::ALL {
            let v = Value::from_prost(&Value::String(u.sentinel().into()).to_prost());
            assert_eq!(v, Value::Unknown(u));
            assert!(v.contains_unknown());
        }
    }

    #[test]
    fn a_secret_with_stray_keys_is_still_secret() {
        let mut s = prost_types::Struct::default();
        s.fields
            .insert(SIG_KEY.into(), Value::String(sig::SECRET.into()).to_prost());
        s.fields
            .insert("value".into(), Value::String("hunter2".into()).to_prost());
        s.fields
            .insert("extra".into(), Value::Bool(true).to_prost());
        let v = Value::from_prost(&prost_types::Value {
            kind: Some(Kind::StructValue(s)),
        });
        assert!(matches!(v, Value::Secret(_)));
        assert!(!format!("{v:?}").contains("hunter2"));
    }

    #[test]
    fn plain_form_unwraps_and_reports() {
        let v = Value::Object(PropertyMap::from([
            ("a".into(), Value::Secret(Box::new(Value::Number(5.0)))),
            ("b".into(), Value::Unknown(Unknown::Any)),
        ]));
        let p = v.to_plain();
        assert!(p.secret && p.unknown);
        assert_eq!(p.json, serde_json::json!({"a": 5, "b": null}));
    }

    #[test]
    fn resource_reference_means_its_id() {
        let v = Value::ResourceReference(ResourceReference {
            urn: "urn:pulumi:s::p::t::n".into(),
            id: Some(Box::new(Value::String("abc".into()))),
            package_version: None,
        });
        assert_eq!(v.to_plain().json, serde_json::json!("abc"));
        let unknown_id = Value::ResourceReference(ResourceReference {
            urn: "urn".into(),
            id: Some(Box::new(Value::String(String::new()))),
            package_version: None,
        });
        assert!(unknown_id.to_plain().unknown);
        assert!(unknown_id.contains_unknown());
    }
}
