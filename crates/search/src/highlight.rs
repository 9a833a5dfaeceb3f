//! Snippets of a hit's title and description with the matched words in
//! `<b>..</b>`. Typo and prefix matches are highlighted too: the query's
//! words are expanded, once per search, into the indexed words they match.

use std::collections::BTreeMap;

use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Score, Searcher, TantivyError};

use crate::SearchError;
use crate::doc::Fields;
use crate::query::Word;
use crate::text::highlight_analyzer;

/// A title is shown whole unless it is absurdly long.
const TITLE_CHARS: usize = 300;
const DESCRIPTION_CHARS: usize = 160;
/// Indexed words one query word may expand to for highlighting (the index
/// holds every tenant's words, so this is generous).
const MAX_EXPANSIONS: usize = 1024;

pub(crate) struct Highlighter {
    title: SnippetGenerator,
    description: SnippetGenerator,
}

impl Highlighter {
    pub(crate) fn new(
        searcher: &Searcher,
        fields: &Fields,
        words: &[Word],
    ) -> Result<Self, SearchError> {
        let generator = |field: Field, max_chars: usize| -> Result<_, SearchError> {
            let words = matching_words(searcher, field, words)?;
            Ok(SnippetGenerator::new(
                words,
                highlight_analyzer(),
                field,
                max_chars,
            ))
        };
        Ok(Self {
            title: generator(fields.title, TITLE_CHARS)?,
            description: generator(fields.description, DESCRIPTION_CHARS)?,
        })
    }

    pub(crate) fn title(&self, text: &str) -> String {
        snippet(&self.title, text, TITLE_CHARS)
    }

    pub(crate) fn description(&self, text: &str) -> String {
        snippet(&self.description, text, DESCRIPTION_CHARS)
    }
}

/// The best fragment with its matches highlighted, or the start of the text
/// when nothing in it matched.
fn snippet(generator: &SnippetGenerator, text: &str, max_chars: usize) -> String {
    let snippet = generator.snippet(text);
    if snippet.is_empty() {
        escape_html(leading(text, max_chars))
    } else {
        snippet.to_html()
    }
}

/// The indexed words of `field` that the query's words match.
fn matching_words(
    searcher: &Searcher,
    field: Field,
    query_words: &[Word],
) -> Result<BTreeMap<String, Score>, SearchError> {
    let mut words = BTreeMap::new();
    for word in query_words {
        let term = &word.term;
        words.insert(term.stemmed.clone(), 1.0);
        let automata = [&word.typo, &word.typo_prefix];
        let mut expanded = Vec::new();
        for segment in searcher.segment_readers() {
            let inverted_index = segment.inverted_index(field)?;
            let dictionary = inverted_index.terms();
            for automaton in automata.into_iter().flatten() {
                let mut stream = dictionary
                    .search(automaton.as_ref())
                    .into_stream()
                    .map_err(TantivyError::from)?;
                while expanded.len() < MAX_EXPANSIONS && stream.advance() {
                    expanded.push(stream.key().to_vec());
                }
            }
            if term.as_prefix() {
                let mut stream = dictionary
                    .range()
                    .ge(term.typed.as_bytes())
                    .into_stream()
                    .map_err(TantivyError::from)?;
                while expanded.len() < MAX_EXPANSIONS
                    && stream.advance()
                    && stream.key().starts_with(term.typed.as_bytes())
                {
                    expanded.push(stream.key().to_vec());
                }
            }
        }
        for word in expanded {
            if let Ok(word) = String::from_utf8(word) {
                words.insert(word, 1.0);
            }
        }
    }
    Ok(words)
}

/// At most `max_chars` characters from the start, cut at a word boundary
/// when there is one.
fn leading(text: &str, max_chars: usize) -> &str {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    let head = &text[..cut];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => head[..space].trim_end(),
        _ => head,
    }
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_cuts_at_a_word_boundary() {
        assert_eq!(leading("short", 10), "short");
        assert_eq!(leading("red cotton shirt", 12), "red cotton");
        assert_eq!(leading("unbreakableword", 5), "unbre");
        assert_eq!(leading("ééééé", 2), "éé");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#x27;");
    }
}
