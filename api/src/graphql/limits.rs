//! Request rules async-graphql does not enforce by itself: the number of aliases in a query, so
//! that aliases cannot multiply the work of one field past the complexity budget, and a clear
//! error (rather than a silent `null`) for introspection when it is turned off.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{BatchRequest, ErrorExtensionValues, ServerError, ServerResult, Variables};

/// The rules of [this module](self), as an async-graphql extension.
#[derive(Debug, Clone, Copy)]
pub struct QueryRules {
    pub max_aliases: usize,
    pub introspection: bool,
}

impl ExtensionFactory for QueryRules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// Calls `visit` on every field of a selection set, nested fields included.
fn each_field(set: &SelectionSet, visit: &mut impl FnMut(&Field)) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                visit(&field.node);
                each_field(&field.node.selection_set.node, visit);
            }
            Selection::InlineFragment(fragment) => each_field(&fragment.node.selection_set.node, visit),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Calls `visit` on every field of every operation and fragment of a document.
fn each_field_of(document: &ExecutableDocument, mut visit: impl FnMut(&Field)) {
    for (_, operation) in document.operations.iter() {
        each_field(&operation.node.selection_set.node, &mut visit);
    }
    for fragment in document.fragments.values() {
        each_field(&fragment.node.selection_set.node, &mut visit);
    }
}

/// Aliases in every operation and fragment of a document.
pub fn aliases_in(document: &ExecutableDocument) -> usize {
    let mut aliases = 0;
    each_field_of(document, |field| aliases += usize::from(field.alias.is_some()));
    aliases
}

/// Whether a document asks for the schema (`__schema` or `__type`; `__typename` is not introspection).
fn introspects(document: &ExecutableDocument) -> bool {
    let mut found = false;
    each_field_of(document, |field| found |= matches!(field.name.node.as_str(), "__schema" | "__type"));
    found
}

fn refuse(message: String, limit: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("limit", limit);
    error.extensions = Some(extensions);
    error
}

impl QueryRules {
    /// Checks one parsed document against the rules.
    pub fn check(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        let aliases = aliases_in(document);
        if aliases > self.max_aliases {
            let message = format!("the query has {aliases} aliases; at most {} are allowed", self.max_aliases);
            return Err(refuse(message, "aliases"));
        }
        if !self.introspection && introspects(document) {
            return Err(refuse("introspection is turned off on this server".into(), "introspection"));
        }
        Ok(())
    }

    /// Whether every operation of `batch` parses and keeps the rules, so that it may run on a
    /// schema without this extension (whose per-field hook every extension brings). Each query is
    /// parsed once: execution reuses the document. A batch that is not admitted runs on the schema
    /// with the extension, which reports what is wrong as before.
    pub fn admit(&self, batch: &mut BatchRequest) -> bool {
        batch.iter_mut().all(|request| request.parsed_query().is_ok_and(|document| self.check(document).is_ok()))
    }
}

#[async_trait::async_trait]
impl Extension for QueryRules {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.check(&document)?;
        Ok(document)
    }
}
