//! The Cloudflare API (the parts oceanid uses): typed ids, the models of device profiles and
//! split-tunnel entries, tunnel routes, virtual networks, cloudflared tunnels and DNS records,
//! Cloudflare's envelope decoded leniently, and one error type carrying every `{code, message}`
//! and the `cf-ray`. These are the pure parts; the calls plug into the shared HTTP executor.
//!
//! ```
//! use oceanid_core::cloudflare::{DeviceProfile, Mode, decode};
//! use reqwest::header::HeaderMap;
//!
//! let body = br#"{"success":true,"errors":[],"messages":[],
//!     "result":{"default":true,"include":[{"address":"10.42.0.0/16","description":"pods"}]}}"#;
//! let profile = decode::<DeviceProfile>(200, &HeaderMap::new(), body)?.result;
//! assert_eq!(profile.mode(), Some(Mode::Include));
//!
//! let conflict = br#"{"result":null,"success":false,
//!     "errors":[{"code":81058,"message":"An identical record already exists."}],"messages":[]}"#;
//! let error = decode::<DeviceProfile>(400, &HeaderMap::new(), conflict).unwrap_err();
//! assert!(error.is_identical_record());
//! # Ok::<(), oceanid_core::cloudflare::CloudflareError>(())
//! ```

mod api;
mod client;
mod client_error;
mod dns;
mod envelope;
mod error;
mod ids;
mod private_access;
mod split_tunnel;
mod split_tunnel_key;
mod split_tunnel_writer;
mod teamnet;
mod token;
mod tunnels;

pub use api::{CLOUDFLARE_BODY_LIMIT, CloudflareApi};
pub use client::{
    Cloudflare, CloudflareBuilder, DEFAULT_API_URL, DEFAULT_CALL_TIMEOUT, DEFAULT_PAGE_SIZE,
};
pub use client_error::ClientError;
pub use dns::{DnsRecord, DnsRecordChange, Zone};
pub use envelope::{Answer, CF_RAY, ResultInfo, decode, decode_list};
pub use error::{
    CODE_AUTHENTICATION, CODE_IDENTICAL_RECORD, CODE_INVALID_TOKEN, CODE_RATE_LIMITED,
    CODE_RECORD_EXISTS, CODE_RECORD_MISSING, CODE_UNAUTHORIZED, CloudflareError, ErrorKind,
    ResponseInfo,
};
pub use ids::{
    AccountId, AccountKind, DnsRecordId, DnsRecordKind, Id, IdKind, PolicyId, PolicyKind, RouteId,
    RouteKind, TokenId, TokenKind, TunnelId, TunnelKind, VirtualNetworkId, VirtualNetworkKind,
    ZoneId, ZoneKind,
};
pub use private_access::{
    PrivateAccessReport, SplitTunnelView, SplitTunnelViewEntry, split_tunnel, verify_private_access,
};
pub use split_tunnel::{
    DeviceProfile, MAX_DESCRIPTION_CHARS, Mode, SplitTunnelEntry, SplitTunnelTarget,
};
pub use split_tunnel_key::{DeclaredEntry, EntryKey, InvalidEntry, ProtectedCidrs};
pub use split_tunnel_writer::{
    DEFAULT_GATHER_WINDOW, Existing, ListId, MAX_CYCLES, SplitTunnelWriter, WriteError,
    WriteOutcome, WriterStats,
};
pub use teamnet::{RouteChange, TunnelRoute, VirtualNetwork};
pub use token::{ApiToken, TokenStatus, TokenVerification};
pub use tunnels::{Tunnel, TunnelClient, TunnelConnection};
