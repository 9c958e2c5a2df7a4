//! Reading a response body incrementally up to a limit, so that a huge answer (a wrong URL, a
//! proxy page, a hostile endpoint) costs at most the limit in memory, never the whole body.

/// A body read up to a limit.
#[derive(Debug)]
pub(crate) struct CappedBody {
    /// The bytes read (at most the limit).
    pub bytes: Vec<u8>,
    /// Whether the body went on past the limit (reading stopped there).
    pub exceeded: bool,
}

/// Read `response`'s body chunk by chunk, stopping as soon as it would pass `limit` bytes. A
/// declared `Content-Length` above the limit stops before anything is read.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<CappedBody, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|declared| declared > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Ok(CappedBody {
            bytes: Vec::new(),
            exceeded: true,
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody {
                bytes,
                exceeded: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(CappedBody {
        bytes,
        exceeded: false,
    })
}
