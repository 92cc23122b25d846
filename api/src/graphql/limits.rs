//! Request limits async-graphql does not enforce by itself: the number of aliases in a query, so
//! that aliases cannot multiply the work of one field past the complexity budget.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ServerError, ServerResult, Variables};

pub struct AliasLimit(pub usize);

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension(self.0))
    }
}

struct AliasLimitExtension(usize);

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliases in every operation and fragment of a document.
pub fn aliases_in(document: &ExecutableDocument) -> usize {
    let operations: usize = document.operations.iter().map(|(_, op)| count_aliases(&op.node.selection_set.node)).sum();
    let fragments: usize = document.fragments.values().map(|f| count_aliases(&f.node.selection_set.node)).sum();
    operations + fragments
}

#[async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let aliases = aliases_in(&document);
        if aliases > self.0 {
            let mut error =
                ServerError::new(format!("the query has {aliases} aliases; at most {} are allowed", self.0), None);
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "BAD_USER_INPUT");
            extensions.set("limit", "aliases");
            error.extensions = Some(extensions);
            return Err(error);
        }
        Ok(document)
    }
}
