//! The `pulumi import` command a refusal to take over an existing object prints.

use super::urn::resource_name;

/// `pulumi import <token> <name> <id>` for the resource at `urn`.
pub(crate) fn import_command(token: &str, urn: &str, id: &str) -> String {
    format!("pulumi import {token} {} {id}", resource_name(urn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_the_resource_and_the_id() {
        let urn = "urn:pulumi:prod::infra::crunchybridge:index:Cluster::db";
        assert_eq!(resource_name(urn), "db");
        assert_eq!(resource_name(""), "<name>");
        assert_eq!(
            import_command("crunchybridge:index:Cluster", urn, "abc"),
            "pulumi import crunchybridge:index:Cluster db abc"
        );
    }
}
