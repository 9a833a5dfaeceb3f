//! A YAML document as a tree whose every node knows its line and column,
//! so a problem anywhere in a pack can be reported as `file:line:column`.
//! (serde_yaml reports only the first error and has no positions for
//! values; compliance teams need every problem at once.)

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Where a node starts: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    /// A scalar's text exactly as written; `quoted` when it was in quotes
    /// (so `"12"` is text and `12` is a number to YAML, but both keep their
    /// digits: no float conversion ever happens).
    Scalar {
        text: String,
        quoted: bool,
    },
    /// An alias (`*name`): packs do not use anchors.
    Alias,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar { text, quoted } => {
                if *quoted {
                    "a string"
                } else if text.is_empty() || text == "~" || text == "null" {
                    "empty"
                } else if text == "true" || text == "false" {
                    "a boolean"
                } else if text.parse::<f64>().is_ok() {
                    "a number"
                } else {
                    "a string"
                }
            }
            Value::Alias => "an alias",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, quoted: false } if text.is_empty() || text == "~" || text == "null")
    }
}

/// Why a document could not be parsed at all.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

#[derive(Default)]
struct Builder {
    stack: Vec<(Node, Option<Node>)>,
    root: Option<Node>,
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some((parent, pending_key)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                _ => {}
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from(mark);
        match ev {
            Event::Scalar(text, style, _, _) => self.push_value(Node {
                value: Value::Scalar {
                    text,
                    quoted: !matches!(style, TScalarStyle::Plain),
                },
                pos,
            }),
            Event::SequenceStart(..) => self.stack.push((
                Node {
                    value: Value::Seq(Vec::new()),
                    pos,
                },
                None,
            )),
            Event::MappingStart(..) => self.stack.push((
                Node {
                    value: Value::Map(Vec::new()),
                    pos,
                },
                None,
            )),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _)) = self.stack.pop() {
                    self.push_value(node);
                }
            }
            Event::Alias(_) => self.push_value(Node {
                value: Value::Alias,
                pos,
            }),
            _ => {}
        }
    }
}

/// Parse one YAML document into a positioned tree (`None` for an empty
/// document).
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| SyntaxError {
        pos: Pos::from(*e.marker()),
        message: e.info().to_owned(),
    })?;
    Ok(builder.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let doc = parse("a: 1\nb:\n  c: \"x\"\n  d: [1, 2]\n")
            .expect("parses")
            .expect("doc");
        let Value::Map(entries) = &doc.value else {
            panic!("map")
        };
        assert_eq!(entries[0].0.pos, Pos { line: 1, col: 1 });
        assert_eq!(entries[0].1.pos, Pos { line: 1, col: 4 });
        let Value::Map(inner) = &entries[1].1.value else {
            panic!("inner map")
        };
        assert_eq!(inner[0].0.pos, Pos { line: 3, col: 3 });
        assert_eq!(
            inner[0].1.value,
            Value::Scalar {
                text: "x".into(),
                quoted: true
            }
        );
        let Value::Seq(items) = &inner[1].1.value else {
            panic!("seq")
        };
        assert_eq!(items[1].pos, Pos { line: 4, col: 10 });
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").expect_err("unclosed list");
        assert!(err.pos.line >= 1, "{err:?}");
    }
}
