//! The part of Stripe's search query language the fake answers: exact
//! matches on `status` and `metadata['<key>']`, joined by `AND`, values
//! in single or double quotes with `\` escaping the next character.
//! Anything else is refused, as Stripe refuses a query it cannot parse.

use super::ledger::Intent;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Field {
    Status,
    Metadata(String),
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Clause {
    pub field: Field,
    pub value: String,
}

impl Clause {
    pub fn matches(&self, intent: &Intent) -> bool {
        match &self.field {
            Field::Status => intent.status == self.value,
            Field::Metadata(key) => intent.metadata.get(key) == Some(&self.value),
        }
    }
}

struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, token: &str) -> bool {
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected `{token}` at `{}`", self.rest))
        }
    }

    fn quoted(&mut self) -> Result<String, String> {
        let mut chars = self.rest.char_indices();
        let quote = match chars.next() {
            Some((_, q @ ('\'' | '"'))) => q,
            _ => return Err(format!("expected a quoted value at `{}`", self.rest)),
        };
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                c if c == quote => {
                    self.rest = &self.rest[i + c.len_utf8()..];
                    return Ok(value);
                }
                c => value.push(c),
            }
        }
        Err("unterminated string".to_owned())
    }
}

/// The clauses of `query`, or why it cannot be read.
pub(super) fn parse(query: &str) -> Result<Vec<Clause>, String> {
    let mut cursor = Cursor { rest: query };
    let mut clauses = Vec::new();
    loop {
        cursor.skip_spaces();
        if cursor.rest.is_empty() {
            break;
        }
        if !clauses.is_empty() {
            cursor.expect("AND")?;
            cursor.skip_spaces();
        }
        let field = if cursor.eat("status") {
            Field::Status
        } else if cursor.eat("metadata[") {
            let key = cursor.quoted()?;
            cursor.expect("]")?;
            Field::Metadata(key)
        } else {
            return Err(format!(
                "the fake answers `status` and `metadata[...]` fields only, not `{}`",
                cursor.rest
            ));
        };
        cursor.expect(":")?;
        let value = cursor.quoted()?;
        clauses.push(Clause { field, value });
    }
    if clauses.is_empty() {
        return Err("the query is empty".to_owned());
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_escaped_metadata_clauses_joined_by_and() {
        assert_eq!(
            parse(r"metadata['order_id']:'it\'s \\ odd' AND status:'succeeded'"),
            Ok(vec![
                Clause {
                    field: Field::Metadata("order_id".into()),
                    value: r"it's \ odd".into(),
                },
                Clause {
                    field: Field::Status,
                    value: "succeeded".into(),
                },
            ])
        );
        assert!(parse("amount>100").is_err());
        assert!(parse("metadata['order_id']:'open").is_err());
        assert!(parse("status:'a' OR status:'b'").is_err());
    }
}
