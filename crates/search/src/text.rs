//! Text analysis shared by indexing, querying and highlighting: the analyzer
//! the title and description fields are indexed with, and the turning of a
//! shopper's raw text into a bounded list of query terms.

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Name under which [`analyzer`] is registered on every index.
pub(crate) const ANALYZER: &str = "bazaar_text";

/// Tokens longer than this are dropped at index and query time alike
/// (base64 blobs and the like make poor search terms).
const MAX_TOKEN_BYTES: usize = 40;

/// Only this many characters of the shopper's text are looked at.
pub(crate) const MAX_QUERY_CHARS: usize = 256;

/// Only this many terms are turned into clauses; more add cost, not recall.
pub(crate) const MAX_QUERY_TERMS: usize = 32;

/// The analyzer of the searchable text fields: words split on anything that
/// is not alphanumeric, lowercased, folded to ASCII ("café" = "cafe") and
/// stemmed ("shirts" = "shirt").
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// [`analyzer`] for highlighting: the same tokens, with each word's stem
/// remembered per thread. Snippets re-analyse every hit's title and
/// description, and stemming was most of that work although a page repeats
/// few distinct words.
pub(crate) fn highlight_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(RememberedStems)
        .build()
}

/// Words whose stems a thread remembers; it forgets them all when full.
const MAX_REMEMBERED_STEMS: usize = 10_000;

thread_local! {
    static STEMS: RefCell<Stems> = RefCell::new(Stems {
        stemmer: TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build(),
        known: HashMap::new(),
    });
}

struct Stems {
    /// Stems one whole word: the stemmer [`analyzer`] applies to each token.
    stemmer: TextAnalyzer,
    known: HashMap<String, String>,
}

impl Stems {
    fn stem(&mut self, word: &mut String) {
        if let Some(stem) = self.known.get(word.as_str()) {
            word.clone_from(stem);
            return;
        }
        let Some(stem) = first_token(&mut self.stemmer, word) else {
            return;
        };
        if self.known.len() >= MAX_REMEMBERED_STEMS {
            self.known.clear();
        }
        self.known
            .insert(std::mem::replace(word, stem.clone()), stem);
    }
}

/// The English stemmer as a filter, through the thread's remembered stems.
#[derive(Clone, Copy)]
struct RememberedStems;

impl TokenFilter for RememberedStems {
    type Tokenizer<T: Tokenizer> = RememberedStemsFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RememberedStemsFilter<T> {
        RememberedStemsFilter { inner }
    }
}

#[derive(Clone)]
struct RememberedStemsFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RememberedStemsFilter<T> {
    type TokenStream<'a> = RememberedStemsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RememberedStemsStream {
            tail: self.inner.token_stream(text),
        }
    }
}

struct RememberedStemsStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for RememberedStemsStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let word = &mut self.tail.token_mut().text;
        STEMS.with_borrow_mut(|stems| stems.stem(word));
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// [`analyzer`] without the stemmer: the form a half-typed word is matched
/// as a prefix with, since stemming a fragment ("jacke") gives nonsense.
fn normalizer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// One word of the shopper's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryTerm {
    /// The word as the index stores it (stemmed), for exact and fuzzy matching.
    pub(crate) stemmed: String,
    /// The word as typed (lowercased and folded), for prefix matching.
    pub(crate) typed: String,
    /// Whether the word may still be being typed (the last word, with no
    /// separator after it), so it also matches as a prefix.
    pub(crate) prefix: bool,
}

/// Shorter half-typed words are matched exactly only: a one-letter prefix
/// stands for too many words to be useful.
const MIN_PREFIX_CHARS: usize = 2;

impl QueryTerm {
    /// Whether the word also matches as the start of longer words.
    pub(crate) fn as_prefix(&self) -> bool {
        self.prefix && self.typed.chars().count() >= MIN_PREFIX_CHARS
    }

    /// Levenshtein distance tolerated for this word: none for short words,
    /// where one edit makes another word, more for long ones.
    pub(crate) fn fuzzy_distance(&self) -> u8 {
        match self.typed.chars().count() {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        }
    }
}

/// Splits the shopper's text into at most [`MAX_QUERY_TERMS`] distinct terms,
/// looking at no more than [`MAX_QUERY_CHARS`] characters. Text without any
/// word (empty, only punctuation) gives no terms.
pub(crate) fn query_terms(text: &str) -> Vec<QueryTerm> {
    let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
    let mut normalizer = normalizer();
    let mut stemmer = analyzer();

    let mut typed_words = Vec::new();
    let mut last_word_end = 0;
    let mut stream = normalizer.token_stream(&text);
    while let Some(token) = stream.next() {
        typed_words.push(token.text.clone());
        last_word_end = token.offset_to;
    }
    let still_typing = !typed_words.is_empty() && last_word_end == text.len();
    let word_count = typed_words.len();

    let mut terms: Vec<QueryTerm> = Vec::new();
    for (position, typed) in typed_words.into_iter().enumerate() {
        let stemmed = first_token(&mut stemmer, &typed).unwrap_or_else(|| typed.clone());
        let prefix = still_typing && position + 1 == word_count;
        if let Some(existing) = terms.iter_mut().find(|term| term.stemmed == stemmed) {
            existing.prefix |= prefix;
            continue;
        }
        if terms.len() == MAX_QUERY_TERMS {
            break;
        }
        terms.push(QueryTerm {
            stemmed,
            typed,
            prefix,
        });
    }
    terms
}

fn first_token(analyzer: &mut TextAnalyzer, text: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(text);
    stream.next().map(|token| token.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        query_terms(text).into_iter().map(|t| t.stemmed).collect()
    }

    #[test]
    fn words_are_lowercased_folded_and_stemmed() {
        assert_eq!(stems("Red SHIRTS café"), ["red", "shirt", "cafe"]);
    }

    #[test]
    fn only_a_last_word_without_trailing_separator_is_a_prefix() {
        let terms = query_terms("red jack");
        assert_eq!(
            terms.iter().map(|t| t.prefix).collect::<Vec<_>>(),
            [false, true]
        );
        assert!(query_terms("red jack ").iter().all(|t| !t.prefix));
        assert!(query_terms("red jack!").iter().all(|t| !t.prefix));
    }

    #[test]
    fn punctuation_and_query_syntax_give_no_terms() {
        assert!(query_terms("").is_empty());
        assert!(query_terms("  \"::[]{}()^~*!-+ ").is_empty());
        assert_eq!(
            stems("title:\"shirt\" AND [a TO z]"),
            ["titl", "shirt", "and", "a", "to", "z"]
        );
    }

    #[test]
    fn long_input_is_bounded() {
        let words: String = (0..5_000).map(|i| format!("w{i} ")).collect();
        let terms = query_terms(&words);
        assert!(terms.len() <= MAX_QUERY_TERMS);
        assert!(!terms.is_empty());
        let one_word = "x".repeat(10_000);
        assert!(
            query_terms(&one_word).is_empty(),
            "over-long tokens are dropped"
        );
    }

    #[test]
    fn highlighting_stems_like_indexing() {
        let text = "Running shirts, RUNNING happily: café naïve x".repeat(2);
        let tokens = |mut analyzer: TextAnalyzer| {
            let mut tokens = Vec::new();
            analyzer
                .token_stream(&text)
                .process(&mut |token| tokens.push(token.clone()));
            tokens
        };
        let (indexed, highlighted) = (tokens(analyzer()), tokens(highlight_analyzer()));
        assert_eq!(
            indexed
                .iter()
                .map(|t| (&t.text, t.offset_from, t.offset_to))
                .collect::<Vec<_>>(),
            highlighted
                .iter()
                .map(|t| (&t.text, t.offset_from, t.offset_to))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn repeated_words_collapse() {
        assert_eq!(stems("shirt shirts SHIRT"), ["shirt"]);
    }

    #[test]
    fn fuzziness_grows_with_word_length() {
        let distance = |word: &str| query_terms(word)[0].fuzzy_distance();
        assert_eq!(distance("tee"), 0);
        assert_eq!(distance("shrit"), 1);
        assert_eq!(distance("sweatshrit"), 2);
    }

    #[test]
    fn one_letter_is_not_a_prefix() {
        assert!(!query_terms("j")[0].as_prefix());
        assert!(query_terms("ja")[0].as_prefix());
    }
}
