//! The kubeconfig that points kubectl and clients at the emulated API server: one cluster, one
//! user with the bearer token, and the context `oceanid-emulator`, current.

/// The context (and cluster and user) name in the written kubeconfig.
pub const KUBECONFIG_CONTEXT: &str = "oceanid-emulator";

/// A YAML scalar in double quotes (JSON's string syntax is valid YAML).
fn quoted(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// A kubeconfig for the API server at `server` (`https://127.0.0.1:PORT`), trusting the CA
/// `ca_pem`, with `token`.
pub(crate) fn render(server: &str, ca_pem: &str, token: &str) -> String {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let name = quoted(KUBECONFIG_CONTEXT);
    format!(
        "apiVersion: v1\n\
         kind: Config\n\
         preferences: {{}}\n\
         clusters:\n\
         - name: {name}\n  \
           cluster:\n    \
             server: {server}\n    \
             certificate-authority-data: {ca}\n\
         users:\n\
         - name: {name}\n  \
           user:\n    \
             token: {token}\n\
         contexts:\n\
         - name: {name}\n  \
           context:\n    \
             cluster: {name}\n    \
             user: {name}\n    \
             namespace: \"default\"\n\
         current-context: {name}\n",
        server = quoted(server),
        token = quoted(token),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let text = render("https://127.0.0.1:1234", "PEM", "tok\"en");
        assert!(
            text.contains("    server: \"https://127.0.0.1:1234\"\n"),
            "{text}"
        );
        assert!(
            text.contains("    certificate-authority-data: UEVN\n"),
            "{text}"
        );
        assert!(text.contains("    token: \"tok\\\"en\"\n"), "{text}");
        assert!(
            text.contains("current-context: \"oceanid-emulator\"\n"),
            "{text}"
        );
    }
}
