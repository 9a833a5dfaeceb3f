//! Repositories for tables inside a tenant schema. Every function takes a
//! connection that is already inside `Db::tenant_tx` or `Db::tenant_read`,
//! so its unqualified table names resolve to that tenant only.

pub mod backorders;
pub mod brands;
pub mod cancellations;
pub mod captures;
pub mod carts;
pub mod categories;
pub mod customers;
pub mod housekeeping;
pub mod idempotency;
pub mod inventory;
pub mod listings;
pub mod loyalty;
pub mod money;
pub mod orders;
pub mod outbox;
pub mod payment_events;
pub mod payment_routes;
pub mod products;
pub mod refunds;
pub mod shipping;
mod stock;
pub mod subscriptions;
pub mod tracking;
pub mod vendors;
pub mod wishlists;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The repositories each tenant module names (`crate::tenant::x`,
    /// `crate::tenant::{x, y}`), read from the sources.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tenant");
        let mut graph = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).expect("src/tenant") {
            let path = entry.expect("entry").path();
            let Some(module) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if module == "mod" {
                continue;
            }
            // Code only: a doc comment may name any module.
            let source: String = std::fs::read_to_string(&path)
                .expect("source")
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut uses = BTreeSet::new();
            for rest in source.split("crate::tenant::").skip(1) {
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(list) => list
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|n| n.trim().split("::").next().unwrap_or(""))
                        .collect(),
                    None => vec![
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or(""),
                    ],
                };
                uses.extend(
                    names
                        .into_iter()
                        .filter(|n| !n.is_empty() && *n != module)
                        .map(str::to_owned),
                );
            }
            graph.insert(module.to_owned(), uses);
        }
        graph
    }

    /// No tenant module needs, however indirectly, a module that needs it:
    /// the stock primitives every stock-moving module shares live in
    /// `stock`, not in one of them.
    #[test]
    fn tenant_modules_import_each_other_without_cycles() {
        let graph = imports();
        assert!(
            graph["orders"].contains("stock"),
            "the graph is read: {graph:?}"
        );
        fn visit(graph: &BTreeMap<String, BTreeSet<String>>, module: &str, path: &mut Vec<String>) {
            if let Some(at) = path.iter().position(|m| m == module) {
                panic!("import cycle: {} -> {module}", path[at..].join(" -> "));
            }
            path.push(module.to_owned());
            for next in graph.get(module).into_iter().flatten() {
                visit(graph, next, path);
            }
            path.pop();
        }
        for module in graph.keys() {
            visit(&graph, module, &mut Vec::new());
        }
    }
}
