//! What the resources read from a Pulumi URN.

/// The name part of a URN (`…::name`), for the `pulumi import` commands the resources print;
/// `<name>` when the URN has none.
pub fn resource_name(urn: &str) -> &str {
    urn.rsplit("::")
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("<name>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_part_or_a_placeholder() {
        assert_eq!(
            resource_name("urn:pulumi:dev::cloud::crunchybridge:index:Role::app"),
            "app"
        );
        assert_eq!(resource_name("urn:pulumi:dev::cloud::t::"), "<name>");
    }
}
